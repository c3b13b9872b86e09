<?php
namespace Harbor\Insurance\Controller;

class Verify
{
    public function execute()
    {
        $coverage = $this->getRequest()->getParam('member_id');
        $this->cookieManager->setPublicCookie('coverage', $coverage, $this->metadata); // expect: PHI-STORAGE-001
        setcookie('cart_currency', $this->currency);
        header('Location: /insurance/result?member=' . urlencode($coverage)); // expect: PHI-URL-001
        header('Location: /checkout/cart?step=' . $step);
        \Stripe\PaymentIntent::create(['amount' => 500, 'description' => 'Refill: ' . $this->rx->getDrugName()]); // expect: PHI-PAYMENT-001
        $gateway->transaction()->sale(['amount' => '10.00', 'orderId' => $orderId]);
    }
}
