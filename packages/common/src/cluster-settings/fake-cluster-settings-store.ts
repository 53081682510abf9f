import {
  patchEntries,
  withDefaults,
  type ClusterSettingsPatch,
  type ClusterSettingsStore,
} from './cluster-settings-store.js';

/** Settings in memory, defaults filled in as the Redis store does, for unit tests. */
export function createFakeClusterSettingsStore(initial: ClusterSettingsPatch = {}): ClusterSettingsStore {
  const stored = new Map(patchEntries(initial));
  const store: ClusterSettingsStore = {
    get() {
      return Promise.resolve(withDefaults(Object.fromEntries(stored)));
    },
    update(patch) {
      for (const [key, value] of patchEntries(patch)) stored.set(key, value);
      return store.get();
    },
  };
  return store;
}
