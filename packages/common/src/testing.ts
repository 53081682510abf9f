/** In-memory twins of the stores, for tests and benches: kept out of the production entry. */
export { createFakeUserStore } from './users/fake-user-store.js';
export { createFakeClusterSettingsStore } from './cluster-settings/fake-cluster-settings-store.js';
export { createFakeActionStore } from './actions/fake-action-store.js';
export { createFakeNodeInventoryStore } from './nodes/fake-node-inventory-store.js';
