import type { OpRecord } from '../fleet/action-types.js';
import { nodeOpKey, nodeOpsOfNode } from '../redis-keys.js';
import { byNodeThenKey, opSummary, type ActionStore, type NodeOpSummary, type StoredAction } from './action-store.js';

/** Actions in memory with the Redis store's rules (latest op per node and artifact, trimming), for unit tests. */
export function createFakeActionStore(now: () => number = Date.now): ActionStore {
  const actions = new Map<string, { action: StoredAction; createdMs: number }>();
  const nodeOps = new Map<string, NodeOpSummary>();
  const copy = ({ meta, ops }: StoredAction): StoredAction =>
    structuredClone({ meta, ops: [...ops].sort(byNodeThenKey) });
  const summarize = (actionUid: string, op: OpRecord) =>
    nodeOps.set(nodeOpKey(op.node_uid, op.module_name, op.version), opSummary(actionUid, op));

  const store: ActionStore = {
    create(meta, ops) {
      actions.set(meta.action_uid, { action: structuredClone({ meta, ops }), createdMs: now() });
      for (const op of ops) summarize(meta.action_uid, op);
      return Promise.resolve();
    },
    recordOp(actionUid, op) {
      const entry = actions.get(actionUid);
      const current = entry?.action.ops.find(other => other.key === op.key);
      if (entry && entry.action.meta.finished_at === undefined && current?.status !== 'cancelled') {
        entry.action.ops = [...entry.action.ops.filter(other => other.key !== op.key), structuredClone(op)];
        summarize(actionUid, op);
      }
      return Promise.resolve();
    },
    get(actionUid) {
      const entry = actions.get(actionUid);
      return Promise.resolve(entry && copy(entry.action));
    },
    list(limit) {
      const newest = [...actions.values()].sort((a, b) => b.createdMs - a.createdMs).slice(0, limit);
      return Promise.resolve(newest.map(entry => copy(entry.action)));
    },
    markFinished(actionUid, finishedAt, error) {
      const entry = actions.get(actionUid);
      if (entry)
        entry.action.meta = { ...entry.action.meta, finished_at: finishedAt, ...(error !== undefined && { error }) };
      return Promise.resolve();
    },
    trim(keep, maxAgeMs, at = now()) {
      const oldest = [...actions.entries()].sort(([, a], [, b]) => a.createdMs - b.createdMs);
      const doomed = oldest
        .filter(([, entry], index) => index < oldest.length - keep || entry.createdMs <= at - maxAgeMs)
        .map(([uid]) => uid);
      for (const uid of doomed) actions.delete(uid);
      return Promise.resolve(doomed.length);
    },
    nodeOps() {
      return Promise.resolve(new Map([...nodeOps].map(([key, summary]) => [key, { ...summary }])));
    },
    forgetOps(actionUid, ops) {
      for (const op of ops) {
        const key = nodeOpKey(op.node_uid, op.module_name, op.version);
        if (nodeOps.get(key)?.action_uid === actionUid) nodeOps.delete(key);
      }
      return Promise.resolve();
    },
    forgetNode(nodeUid) {
      for (const key of nodeOps.keys()) if (key.startsWith(nodeOpsOfNode(nodeUid))) nodeOps.delete(key);
      return Promise.resolve();
    },
  };
  return store;
}
