import type { ModuleStore, NodeRegistry } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';

const definition = (module_name: string, version = 1) => ({
  module_name,
  version,
  semantic_version: `0.0.${version}`,
  display_name: module_name,
  commands: [],
  command_line_args: '',
  capabilities: [],
  min_redis_version: '6.0',
});

/** What every ModuleStore does, the Redis one and the fake alike. */
export function moduleStoreContract(name: string, makeStore: () => ModuleStore) {
  describe(`${name}: ModuleStore contract`, () => {
    it('creates RS module objects with new uids, lists them by name then version, and deletes them', async () => {
      const store = makeStore();
      const b2 = await store.create(definition('Beta', 2));
      const a1 = await store.create({ ...definition('Alpha'), author: 'ops' });
      const b1 = await store.create(definition('Beta', 1));

      expect(new Set([a1.uid, b1.uid, b2.uid]).size).toBe(3);
      expect(a1).toMatchObject({ module_name: 'Alpha', author: 'ops', is_bundled: false });
      expect((await store.list()).map(m => `${m.module_name}@${m.version}`)).toEqual(['Alpha@1', 'Beta@1', 'Beta@2']);
      expect(await store.get(b1.uid)).toEqual(b1);
      expect(await store.delete(b1.uid)).toBe(true);
      expect(await store.delete(b1.uid)).toBe(false);
      expect(await store.get(b1.uid)).toBeUndefined();
    });

    it('refuses a second module of the same name and version with 406 module_exists, until the first is deleted', async () => {
      const store = makeStore();
      const first = await store.create(definition('Same'));

      await expect(store.create(definition('Same'))).rejects.toMatchObject({ status: 406, code: 'module_exists' });
      expect(await store.list()).toHaveLength(1);
      await store.delete(first.uid);
      expect((await store.create(definition('Same'))).uid).not.toBe(first.uid);
    });
  });
}

export interface RegistryUnderTest {
  registry: NodeRegistry;
  /** An agent's heartbeat at the clock's time: false for a node that is not a member. */
  heartbeat: (uid: number) => Promise<boolean>;
}

const DOWN_AFTER_MS = 5_000;
const request = (addr: string, instance_id: string, uid?: number) => ({ uid, addr, instance_id });

/** What every NodeRegistry does (nodes down after 5 s without a heartbeat), the Redis one and the fake alike. */
export function nodeRegistryContract(name: string, make: (now: () => number) => RegistryUnderTest) {
  describe(`${name}: NodeRegistry contract`, () => {
    const clock = () => {
      let time = Date.parse('2026-01-01T00:00:00Z');
      return { now: () => time, advance: (ms: number) => (time += ms) };
    };

    it('gives new uids, keeps a claimed one, and lists nodes by uid with their status', async () => {
      const { now, advance } = clock();
      const { registry, heartbeat } = make(now);
      const first = await registry.register(request('http://a:9444', 'i-a'));
      const claimed = await registry.register(request('http://c:9444', 'i-c', 7));
      const next = await registry.register(request('http://b:9444', 'i-b'));

      expect(first).toMatchObject({ joined: true, node: { uid: 1, addr: 'http://a:9444' } });
      expect(claimed.node.uid).toBe(7);
      expect(next.node.uid).toBe(8);
      expect(await registry.uids()).toEqual([1, 7, 8]);
      advance(DOWN_AFTER_MS + 1);
      expect(await heartbeat(7)).toBe(true);
      expect((await registry.list()).map(node => [node.uid, node.status])).toEqual([
        [1, 'down'],
        [7, 'active'],
        [8, 'down'],
      ]);
    });

    it('refuses a live uid to another agent, but lets it be taken over once down', async () => {
      const { now, advance } = clock();
      const { registry } = make(now);
      await registry.register(request('http://a:9444', 'i-a', 3));

      await expect(registry.register(request('http://x:9444', 'i-x', 3))).rejects.toMatchObject({
        status: 409,
        code: 'node_uid_in_use',
      });
      expect(await registry.register(request('http://a:9444', 'i-a', 3))).toMatchObject({ joined: false });
      advance(DOWN_AFTER_MS + 1);
      expect(await registry.register(request('http://x:9444', 'i-x', 3))).toMatchObject({
        joined: false,
        node: { addr: 'http://x:9444' },
      });
    });

    it('shows a node that still has to install its certificate down until its first heartbeat', async () => {
      const { now } = clock();
      const { registry, heartbeat } = make(now);
      await registry.register(request('http://a:9444', 'i-a'), { serving: false });

      expect((await registry.get(1))?.status).toBe('down');
      expect(await heartbeat(1)).toBe(true);
      expect((await registry.get(1))?.status).toBe('active');
    });

    it('removes a node: gone from the list, its heartbeat refused, and it joins anew', async () => {
      const { now } = clock();
      const { registry, heartbeat } = make(now);
      await registry.register(request('http://a:9444', 'i-a'));

      expect(await registry.remove(1)).toBe(true);
      expect(await registry.remove(1)).toBe(false);
      expect(await registry.get(1)).toBeUndefined();
      expect(await heartbeat(1)).toBe(false);
      expect(await registry.register(request('http://a:9444', 'i-a', 1))).toMatchObject({ joined: true });
    });
  });
}
