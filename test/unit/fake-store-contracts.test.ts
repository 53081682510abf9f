/**
 * The fakes unit tests stand on keep the same promises as the Redis stores: the contracts
 * here run against the fakes, and test/integration/redis-store-contracts.test.ts runs them
 * against Redis.
 */
import {
  createFakeActionStore,
  createFakeClusterSettingsStore,
  createFakeNodeInventoryStore,
  createFakeUserStore,
} from '@modfleet/common/testing';
import {
  createFakeBdbStore,
  createFakeFleetArtifacts,
  createFakeInflightStore,
  createFakeModuleStore,
  createFakeNodeRegistry,
} from '@modfleet/coordinator/testing';
import { bdbStoreContract } from '../contracts/bdb-store-contract.js';
import { actionStoreContract } from '../contracts/action-store-contract.js';
import { moduleStoreContract, nodeRegistryContract } from '../contracts/coordinator-store-contracts.js';
import {
  clusterSettingsStoreContract,
  fleetArtifactsContract,
  inflightStoreContract,
  nodeInventoryStoreContract,
} from '../contracts/small-store-contracts.js';
import { userStoreContract } from '../contracts/user-store-contract.js';

actionStoreContract('fake', () => createFakeActionStore());
userStoreContract('fake', () => createFakeUserStore());
clusterSettingsStoreContract('fake', () => createFakeClusterSettingsStore());
nodeInventoryStoreContract('fake', () => createFakeNodeInventoryStore());
fleetArtifactsContract('fake', () => createFakeFleetArtifacts());
inflightStoreContract('fake', () => createFakeInflightStore());
bdbStoreContract('fake', () => {
  const store = createFakeBdbStore();
  return { store, report: (shardUid, report) => Promise.resolve(store.report(shardUid, report)) };
});
moduleStoreContract('fake', () => createFakeModuleStore());
nodeRegistryContract('fake', now => {
  const registry = createFakeNodeRegistry(now);
  return { registry, heartbeat: uid => Promise.resolve(registry.heartbeat(uid)) };
});
