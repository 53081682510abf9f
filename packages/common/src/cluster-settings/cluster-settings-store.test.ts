import { describe, expect, it } from 'vitest';
import { cacheClusterSettings, type ClusterSettingsStore } from './cluster-settings-store.js';
import { createFakeClusterSettingsStore } from './fake-cluster-settings-store.js';

/** A fake store whose reads are counted and can be made to fail, as Redis going away does. */
function countingStore() {
  const inner = createFakeClusterSettingsStore();
  const state = { reads: 0, down: false };
  const store: ClusterSettingsStore = {
    get() {
      state.reads += 1;
      return state.down ? Promise.reject(new Error('redis down')) : inner.get();
    },
    update: patch => inner.update(patch),
  };
  return { store, state, inner };
}

describe('cacheClusterSettings', () => {
  it('serves reads from one store read until the ttl passes', async () => {
    const { store, state } = countingStore();
    let clock = 0;
    const cached = cacheClusterSettings(store, 1_000, () => clock);
    await cached.get();
    await cached.get();
    expect(state.reads).toBe(1);
    clock = 1_000;
    await cached.get();
    expect(state.reads).toBe(2);
  });

  it('fresh() reads the store, fails as it fails, and what it read serves the next get()', async () => {
    const { store, state, inner } = countingStore();
    const cached = cacheClusterSettings(store, 60_000, () => 0);
    await cached.get();
    await inner.update({ allow_modules_upload: false });
    expect((await cached.fresh()).allow_modules_upload).toBe(false);
    expect((await cached.get()).allow_modules_upload).toBe(false);
    expect(state.reads).toBe(2);
    state.down = true;
    await expect(cached.fresh()).rejects.toThrow('redis down');
  });
});
