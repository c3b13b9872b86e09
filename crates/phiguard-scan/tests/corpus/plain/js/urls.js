// PHI placed in URLs and query strings.
const dob = form.elements.dob.value;
fetch(`/api/eligibility?dob=${dob}&plan=${planId}`); // expect: PHI-URL-001
window.location.href = '/thanks?email=' + customer.email; // expect: PHI-URL-001
const params = new URLSearchParams();
params.set('member_id', memberId); // expect: PHI-URL-001
const url = new URL('/rx', location.origin);
url.searchParams.append('condition', selected); // expect: PHI-URL-001

// Safe: tokens and steps in URLs, PHI in a POST body.
fetch(`/cart/update.js?token=${cart.token}`);
window.location.href = '/checkout?step=' + step;
fetch('/api/eligibility', { method: 'POST', body: JSON.stringify({ dob }) });
