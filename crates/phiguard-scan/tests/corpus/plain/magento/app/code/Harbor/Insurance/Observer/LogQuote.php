<?php
namespace Harbor\Insurance\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Psr\Log\LoggerInterface;

class LogQuote implements ObserverInterface
{
    public function __construct(private LoggerInterface $logger)
    {
    }

    public function execute(Observer $observer)
    {
        $quote = $observer->getEvent()->getQuote();
        $dob = $quote->getCustomerDob();
        $this->logger->info('quote saved', ['dob' => $dob]); // expect: PHI-LOG-001
        $this->logger->debug('quote', $quote->getData()); // expect: PHI-LOG-001
        error_log('member ' . $quote->getCustomer()->getCustomAttribute('insurance_member_id')->getValue()); // expect: PHI-LOG-001

        $this->logger->info('quote saved', ['quote_id' => $quote->getId()]);
        try {
            $this->save($quote);
        } catch (\Exception $e) {
            $this->logger->critical($e->getMessage());
        }
    }
}
