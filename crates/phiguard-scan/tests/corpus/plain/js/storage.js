// PHI written to browser storage, directly and through the evasions the rule must see through.
import Cookies from 'js-cookie';
import { set as saveLocal } from 'idb-keyval';

const form = document.querySelector('#rx-form');

localStorage.setItem('dob', form.dob.value); // expect: PHI-STORAGE-001
sessionStorage.setItem('patient', JSON.stringify(patient)); // expect: PHI-STORAGE-001

// An alias of localStorage, and a destructured value.
const store = window.localStorage;
const { insuranceMemberId } = form;
store.setItem('member', insuranceMemberId); // expect: PHI-STORAGE-001

// A spread into a new object, then stringified.
const answers = { ...intake, step: 3 };
store.setItem('answers', JSON.stringify(answers)); // expect: PHI-STORAGE-001

// Renamed twice, then written to a cookie.
const x = form.diagnosis;
const y = x;
document.cookie = 'd=' + y; // expect: PHI-STORAGE-001

// Through a helper function declared in the file.
function remember(key, value) {
  localStorage.setItem(key, value);
}
remember('rx', prescription); // expect: PHI-STORAGE-001

// IndexedDB object stores, js-cookie and idb-keyval under a renamed import.
const request = indexedDB.open('rx');
request.onsuccess = () => {
  const db = request.result;
  const tx = db.transaction('orders', 'readwrite');
  tx.objectStore('orders').put({ medication, quantity: 1 }); // expect: PHI-STORAGE-001
};
Cookies.set('ssn_last4', ssnLast4); // expect: PHI-STORAGE-001
saveLocal('allergies', allergyList); // expect: PHI-STORAGE-001
