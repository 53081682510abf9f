import { setTimeout as sleep } from 'node:timers/promises';
import { nodeOpKey, type ActionMeta, type ActionStore, type OpRecord } from '@modfleet/common';
import { describe, expect, it } from 'vitest';

const meta = (action_uid: string): ActionMeta => ({
  action_uid,
  name: 'install_module_artifact',
  creation_time: Math.floor(Date.now() / 1000),
  description: '',
  object_type: 'module_artifact',
  object_uid: 'Mod@1',
});

const op = (key: string, node_uid: number, extra: Partial<OpRecord> = {}): OpRecord => ({
  key,
  node_uid,
  op: 'install',
  module_name: 'Mod',
  version: 1,
  sha256: 'a'.repeat(64),
  status: 'queued',
  progress: 0,
  attempts: 0,
  error: null,
  ...extra,
});

/** Creation times are kept in milliseconds; a tick apart keeps "newest first" unambiguous. */
const tick = () => sleep(3);

/** What every ActionStore does, the Redis one and the fake alike. */
export function actionStoreContract(name: string, makeStore: () => ActionStore) {
  describe(`${name}: ActionStore contract`, () => {
    it('gives back an action with its ops ordered by node, and lists the newest first', async () => {
      const store = makeStore();
      await store.create(meta('a'), [op('2-1', 2), op('1-0', 1)]);
      await tick();
      await store.create(meta('b'), []);
      expect((await store.get('a'))?.ops.map(o => o.key)).toEqual(['1-0', '2-1']);
      expect((await store.list(10)).map(action => action.meta.action_uid)).toEqual(['b', 'a']);
      expect((await store.list(1)).map(action => action.meta.action_uid)).toEqual(['b']);
      expect(await store.get('missing')).toBeUndefined();
    });

    it('records op progress and the finish time', async () => {
      const store = makeStore();
      await store.create(meta('a'), [op('1-0', 1)]);
      await store.recordOp('a', op('1-0', 1, { status: 'running', progress: 50, attempts: 1 }));
      await store.markFinished('a', 1234);
      const stored = await store.get('a');
      expect(stored?.ops).toEqual([op('1-0', 1, { status: 'running', progress: 50, attempts: 1 })]);
      expect(stored?.meta.finished_at).toBe(1234);
    });

    it('keeps a cancelled op cancelled and leaves a closed action as it was closed', async () => {
      const store = makeStore();
      await store.create(meta('a'), [op('1-0', 1), op('2-1', 2)]);
      await store.recordOp('a', op('1-0', 1, { status: 'cancelled', error: 'superseded' }));
      // A node's late report of the failure the finalizer already turned into a cancel changes nothing.
      await store.recordOp('a', op('1-0', 1, { status: 'failed', error: 'gone' }));
      await store.recordOp('a', op('2-1', 2, { status: 'completed', progress: 100 }));
      await store.markFinished('a', 1_700_000_000_000);
      await store.recordOp('a', op('2-1', 2, { status: 'failed', error: 'late' }));

      const ops = (await store.get('a'))?.ops;
      expect(ops?.map(o => [o.status, o.error])).toEqual([
        ['cancelled', 'superseded'],
        ['completed', null],
      ]);
    });

    it('trims by count (oldest first) and by age, and never brings a trimmed action back', async () => {
      const store = makeStore();
      for (const uid of ['a', 'b', 'c']) {
        await store.create(meta(uid), [op('1-0', 1)]);
        await tick();
      }
      expect(await store.trim(2, 3600_000)).toBe(1);
      expect(await store.get('a')).toBeUndefined();
      await store.recordOp('a', op('1-0', 1, { status: 'completed' }));
      expect(await store.get('a')).toBeUndefined();
      expect(await store.trim(1000, 0, Date.now() + 1000)).toBe(2);
      expect(await store.list(10)).toEqual([]);
    });

    it('keeps the latest op per node and artifact for the fleet view', async () => {
      const store = makeStore();
      await store.create(meta('a'), [op('1-0', 1), op('2-1', 2)]);
      await store.create(meta('b'), [op('1-0', 1, { op: 'delete', sha256: undefined })]);
      await store.recordOp('a', op('2-1', 2, { status: 'failed', error: 'disk full' }));
      const ops = await store.nodeOps();
      expect(ops.get(nodeOpKey(1, 'Mod', 1))).toEqual({
        action_uid: 'b',
        op: 'delete',
        status: 'queued',
        sha256: undefined,
        error: null,
      });
      expect(ops.get(nodeOpKey(2, 'Mod', 1))).toMatchObject({ action_uid: 'a', status: 'failed', error: 'disk full' });
    });

    it('forgets only the entries an action still owns, and every entry of a node that left', async () => {
      const store = makeStore();
      await store.create(meta('a'), [op('1-0', 1), op('2-1', 2), op('3-2', 3)]);
      await store.create(meta('b'), [op('1-0', 1)]);
      await store.forgetOps('a', [op('1-0', 1), op('2-1', 2)]);
      await store.forgetNode(3);
      expect([...(await store.nodeOps()).entries()].map(([key, summary]) => [key, summary.action_uid])).toEqual([
        [nodeOpKey(1, 'Mod', 1), 'b'],
      ]);
    });
  });
}
