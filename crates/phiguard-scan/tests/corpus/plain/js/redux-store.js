import { persistReducer } from 'redux-persist';
import storage from 'redux-persist/lib/storage';
import { combineReducers } from 'redux';

const rootReducer = combineReducers({ cart: cartReducer, patient: patientReducer });

// The whole state, patient slice included, is written to localStorage.
export const everything = persistReducer({ key: 'root', storage }, rootReducer); // expect: PHI-STORAGE-002

// Only the cart is persisted, or the patient slice is excluded.
export const onlyCart = persistReducer({ key: 'root', storage, whitelist: ['cart'] }, rootReducer);
export const noPatient = persistReducer({ key: 'r', storage, blacklist: ['patient'] }, rootReducer);
