// PHI passed to tracker, analytics and marketing scripts of parties without a BAA.
fbq('track', 'Purchase', { value: 30, content_name: rx.name }); // expect: PHI-TRACKER-001
ttq.identify({ email: customer.email }); // expect: PHI-TRACKER-001
pintrk('track', 'checkout', { order_note: order.note }); // expect: PHI-TRACKER-001
window.dataLayer = window.dataLayer || [];
const dl = window.dataLayer;
dl.push({ event: 'rx_submitted', condition: selectedCondition }); // expect: PHI-TRACKER-001
gtag('event', 'intake', { allergies }); // expect: PHI-TRACKER-001
analytics.identify(userId, { dateOfBirth: profile.dateOfBirth }); // expect: PHI-TRACKER-001
hj('identify', userId, { diagnosis }); // expect: PHI-TRACKER-001
FS.setUserVars({ insurance_member_id: memberId }); // expect: PHI-TRACKER-001
klaviyo.identify({ email: customer.email, refill: refillDate }); // expect: PHI-TRACKER-001
navigator.sendBeacon('https://www.google-analytics.com/collect', JSON.stringify({ dob })); // expect: PHI-TRACKER-001

// Safe: events without PHI, prices, currencies and tokens.
fbq('track', 'PageView');
gtag('event', 'add_to_cart', { value: cart.total_price, currency: cart.currency });
dl.push({ event: 'checkout_started', checkout_token: checkout.token });
analytics.track('Product Viewed', { product_id: product.id, price: product.price });
