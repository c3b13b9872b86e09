// A Shopify Web Pixels extension: checkout events carry the buyer's data.
import { register } from '@shopify/web-pixels-extension';

register(({ analytics, browser }) => {
  analytics.subscribe('checkout_completed', (event) => {
    const checkout = event.data.checkout;
    fbq('track', 'Purchase', { value: checkout.totalPrice.amount, currency: checkout.currencyCode });
    fbq('track', 'Purchase', { contents: checkout.lineItems }); // expect: PHI-TRACKER-001
    fetch('https://collector.example-ads.test/px', { method: 'POST', body: JSON.stringify(event) }); // expect: PHI-TRACKER-001
    browser.localStorage.setItem('last_order', checkout.order.id);
    browser.sessionStorage.setItem('buyer', checkout.email); // expect: PHI-STORAGE-001
  });

  analytics.subscribe('page_viewed', (event) => {
    gtag('event', 'page_view', { page_location: event.context.document.location.href });
  });
});
