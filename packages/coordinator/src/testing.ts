/** In-memory twins of the stores, for tests and benches: kept out of the production entry. */
export { createFakeInflightStore } from './actions/fake-inflight-store.js';
export { createFakeFleetArtifacts } from './fleet/desired-state/fake-fleet-artifacts.js';
export { createFakeBdbStore, type FakeBdbStore } from './bdbs/fake-bdb-store.js';
export { createFakeModuleStore } from './modules/fake-module-store.js';
export { createFakeNodeRegistry, type FakeNodeRegistry } from './nodes/fake-node-registry.js';
export { createFakeCoordinatorServices, type FakeCoordinatorServices } from './fake-services.js';
export { createFakeBlobStore } from './fleet/blobs/fake-blob-store.js';
export { createFakeFlowProducer } from './fleet/dispatch/fake-flow-producer.js';
export { createFakeNodeQueues } from './fleet/dispatch/fake-node-queues.js';
export { createFakeEventLog } from './audit/event-log.js';
