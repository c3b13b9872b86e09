// PHI written to logs.
function submitIntake(form) {
  const { dob, conditions } = form;
  console.log('intake', dob); // expect: PHI-LOG-001
  console.debug(`conditions: ${conditions.join(', ')}`); // expect: PHI-LOG-001
}

const log = console.info;
log(patient); // expect: PHI-LOG-001
const { warn } = console;
warn('rx', prescription.drugName); // expect: PHI-LOG-001
logger.info({ email: customer.email }); // expect: PHI-LOG-001
this.logger.error('failed for', order.note); // expect: PHI-LOG-001

// Safe: an exception with no data, ids, tokens and counts.
try {
  submitIntake(document.forms[0]);
} catch (e) {
  console.error(e);
}
console.log('intake submitted', { step: 2, orderId });
console.warn('checkout token', checkout.token);
logger.info('cart updated', cart.item_count);
