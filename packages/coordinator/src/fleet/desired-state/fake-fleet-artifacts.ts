import { artifactKey } from '@modfleet/common';
import { byNameThenVersion, mergeFleetArtifact, type FleetArtifact, type FleetArtifacts } from './fleet-artifacts.js';

/** The fleet's desired artifacts in memory, with the Redis store's rules, for unit tests. */
export function createFakeFleetArtifacts(seed: FleetArtifact[] = []): FleetArtifacts {
  const artifacts = new Map(seed.map(a => [artifactKey(a.module_name, a.version), structuredClone(a)]));
  return {
    list() {
      return Promise.resolve([...artifacts.values()].map(a => structuredClone(a)).sort(byNameThenVersion));
    },
    get(moduleName, version) {
      const found = artifacts.get(artifactKey(moduleName, version));
      return Promise.resolve(found && structuredClone(found));
    },
    upsert(artifact) {
      const key = artifactKey(artifact.module_name, artifact.version);
      return Promise.resolve().then(() => {
        const next = mergeFleetArtifact(artifacts.get(key), artifact);
        artifacts.set(key, structuredClone(next));
        return next;
      });
    },
    remove(moduleName, version) {
      const key = artifactKey(moduleName, version);
      const existing = artifacts.get(key);
      artifacts.delete(key);
      return Promise.resolve(existing);
    },
  };
}
