/** In-memory twins of the stores, for tests and benches: kept out of the production entry. */
export { createFakeAgentServices } from './fake-services.js';
