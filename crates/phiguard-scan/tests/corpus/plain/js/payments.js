// Payment SDK metadata (Node): processors need the amount, not the diagnosis.
const Stripe = require('stripe');
const stripe = Stripe(process.env.STRIPE_KEY);

export async function charge(order, patient) {
  await stripe.paymentIntents.create({ // expect: PHI-PAYMENT-001
    amount: order.total,
    currency: 'usd',
    metadata: { order_id: order.id, diagnosis: patient.diagnosis },
  });
  await stripe.paymentIntents.create({
    amount: order.total,
    currency: 'usd',
    metadata: { order_id: order.id },
  });
}

const braintree = require('braintree');
const gateway = new braintree.BraintreeGateway({ environment: braintree.Environment.Sandbox });
gateway.transaction.sale({ amount: '10.00', customFields: { prescription: rxName } }); // expect: PHI-PAYMENT-001
gateway.transaction.sale({ amount: '10.00', orderId: order.id });
