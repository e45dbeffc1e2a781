export { type ChaosControls, chaosStore } from './chaos-store.js';
export { ManualClock } from './manual-clock.js';
export { MapStore } from './map-store.js';
export { type StoreContractOptions, storeContract, type TestApi } from './store-contract.js';
