import { LOCKOUT_DEFAULTS, type ClusterSettingsStore, type NodeInventoryStore } from '@modfleet/common';
import type { FleetArtifact, FleetArtifacts, InflightStore } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';

/** What every ClusterSettingsStore does, the Redis one and the fake alike. */
export function clusterSettingsStoreContract(name: string, makeStore: () => ClusterSettingsStore) {
  describe(`${name}: ClusterSettingsStore contract`, () => {
    it('starts from the defaults and keeps what a patch sets, leaving the rest', async () => {
      const store = makeStore();
      expect(await store.get()).toEqual({
        name: 'modfleet',
        allow_modules_upload: true,
        module_load_check: 'warn',
        ...LOCKOUT_DEFAULTS,
      });
      expect(await store.update({ allow_modules_upload: false })).toEqual({
        name: 'modfleet',
        allow_modules_upload: false,
        module_load_check: 'warn',
        ...LOCKOUT_DEFAULTS,
      });
      expect(
        await store.update({ name: 'prod', allow_modules_upload: undefined, module_load_check: 'enforce' }),
      ).toEqual({
        name: 'prod',
        allow_modules_upload: false,
        module_load_check: 'enforce',
        ...LOCKOUT_DEFAULTS,
      });
    });
  });
}

/** What every NodeInventoryStore does, the Redis one and the fake alike. */
export function nodeInventoryStoreContract(name: string, makeStore: () => NodeInventoryStore) {
  describe(`${name}: NodeInventoryStore contract`, () => {
    it('keeps each node’s last report whole, by <name>@<version>', async () => {
      const store = makeStore();
      await store.report(1, [
        { module_name: 'A', version: 1, sha256: 'a'.repeat(64) },
        { module_name: 'B', version: 2, sha256: 'b'.repeat(64) },
      ]);
      await store.report(2, [{ module_name: 'A', version: 1, sha256: 'c'.repeat(64) }]);
      await store.report(1, [{ module_name: 'B', version: 2, sha256: 'b'.repeat(64) }]);
      expect(await store.read(1)).toEqual(new Map([['B@2', 'b'.repeat(64)]]));
      expect(await store.read(2)).toEqual(new Map([['A@1', 'c'.repeat(64)]]));
      await store.report(2, []);
      expect(await store.read(2)).toEqual(new Map());
      expect(await store.read(9)).toEqual(new Map());
    });
  });
}

const artifact = (extra: Partial<FleetArtifact> = {}): FleetArtifact => ({
  module_name: 'Mod',
  version: 1,
  semantic_version: '0.0.1',
  dependencies: [],
  sha256: 'a'.repeat(64),
  size: 10,
  nodes: [2],
  created_at: '2026-01-01T00:00:00.000Z',
  ...extra,
});

/** What every FleetArtifacts store does, the Redis one and the fake alike. */
export function fleetArtifactsContract(name: string, makeStore: () => FleetArtifacts) {
  describe(`${name}: FleetArtifacts contract`, () => {
    it('widens the targets of the same bytes, refuses other bytes, lists by name then version', async () => {
      const store = makeStore();
      await store.upsert(artifact({ version: 2 }));
      await store.upsert(artifact());
      expect((await store.upsert(artifact({ nodes: [3, 1] })))?.nodes).toEqual([1, 2, 3]);
      expect((await store.upsert(artifact({ nodes: 'all' })))?.nodes).toBe('all');
      await expect(store.upsert(artifact({ sha256: 'b'.repeat(64) }))).rejects.toMatchObject({ code: 'module_exists' });
      expect((await store.list()).map(a => [a.version, a.nodes])).toEqual([
        [1, 'all'],
        [2, [2]],
      ]);
    });

    it('removes an artifact and gives back what it was', async () => {
      const store = makeStore();
      await store.upsert(artifact());
      expect(await store.remove('Mod', 1)).toEqual(artifact());
      expect(await store.remove('Mod', 1)).toBeUndefined();
      expect(await store.get('Mod', 1)).toBeUndefined();
    });
  });
}

/** What every InflightStore does, the Redis one and the fake alike. */
export function inflightStoreContract(name: string, makeStore: () => InflightStore) {
  describe(`${name}: InflightStore contract`, () => {
    it('hands a key to one action while it runs, to the next once it stopped, and frees it only for its holder', async () => {
      const store = makeStore();
      const running = new Set(['a']);
      const isRunning = (uid: string) => Promise.resolve(running.has(uid));
      expect(await store.claim('k', 'a', isRunning)).toBeUndefined();
      expect(await store.claim('k', 'b', isRunning)).toBe('a');
      running.delete('a');
      expect(await store.claim('k', 'c', isRunning)).toBeUndefined();
      running.add('c');
      await store.release('k', 'a');
      expect(await store.claim('k', 'd', isRunning)).toBe('c');
      await store.release('k', 'c');
      expect(await store.claim('k', 'e', isRunning)).toBeUndefined();
    });
  });
}
