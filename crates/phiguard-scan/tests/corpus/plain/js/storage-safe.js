// Storage writes that carry no PHI: tokens, ids, labels and settings.
localStorage.setItem('cart', cart.token);
localStorage.setItem('checkout_token', checkoutToken);
sessionStorage.setItem('step', String(step));
localStorage.setItem('theme', 'dark');
const dobLabel = 'Date of birth';
localStorage.setItem('label', dobLabel);
localStorage.setItem('pid', patientId);
localStorage.setItem('recently_viewed', JSON.stringify(productHandles));
document.cookie = 'cart_currency=' + currency;

function remember(key, value) {
  localStorage.setItem(key, value);
}
remember('sort', sortOrder);
