import { artifactKey } from '../redis-keys.js';
import type { LoadCheck } from '../modules/load-check-types.js';
import type { NodeInventoryStore } from './node-inventory-store.js';

/** Inventories in memory, for unit tests; `held` is what each node reports, as the Redis hashes hold it. */
export function createFakeNodeInventoryStore(): NodeInventoryStore & { held: Map<number, Map<string, string>> } {
  const held = new Map<number, Map<string, string>>();
  const checks = new Map<number, Map<string, LoadCheck>>();
  return {
    held,
    report(nodeUid, artifacts) {
      held.set(nodeUid, new Map(artifacts.map(a => [artifactKey(a.module_name, a.version), a.sha256])));
      checks.set(
        nodeUid,
        new Map(artifacts.flatMap(a => (a.load_check ? [[artifactKey(a.module_name, a.version), a.load_check]] : []))),
      );
      return Promise.resolve();
    },
    read(nodeUid) {
      return Promise.resolve(new Map(held.get(nodeUid)));
    },
    readLoadChecks(nodeUid) {
      return Promise.resolve(new Map(checks.get(nodeUid)));
    },
  };
}
