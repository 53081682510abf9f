import { ConflictError, DEFAULT_TIMINGS, type NodeView } from '@modfleet/common';
import { toNodeObject, type NodeRecord } from './node-object.js';
import type { NodeRegistry } from './node-registry.js';

/** A node registry in memory that a test moves the clock and the heartbeats of. */
export interface FakeNodeRegistry extends NodeRegistry {
  /** What an agent's heartbeat does: false for a node that is not a member. */
  heartbeat(uid: number): boolean;
}

/** The node registry in memory, with the Redis registry's rules (a live uid belongs to one agent). */
export function createFakeNodeRegistry(
  now: () => number = Date.now,
  downAfterMs = DEFAULT_TIMINGS.nodeDownAfterMs,
): FakeNodeRegistry {
  const records = new Map<number, NodeRecord>();
  const beats = new Map<number, number>();
  let uidSeq = 0;
  const view = (record: NodeRecord): NodeView =>
    toNodeObject(structuredClone(record), beats.get(record.uid) ?? null, now(), undefined, downAfterMs);

  return {
    register({ uid: claimed, addr, instance_id, host }, { serving = true } = {}) {
      return Promise.resolve().then(() => {
        const uid = claimed ?? (uidSeq += 1);
        uidSeq = Math.max(uidSeq, uid);
        const existing = records.get(uid);
        const heartbeat = beats.get(uid);
        if (
          existing &&
          existing.instance_id !== instance_id &&
          heartbeat !== undefined &&
          now() - heartbeat <= downAfterMs
        )
          throw new ConflictError(
            'node_uid_in_use',
            `Node uid ${uid} is held by another running agent (${existing.addr})`,
          );
        const node: NodeRecord = {
          uid,
          addr,
          instance_id,
          registered_at: existing?.registered_at ?? new Date(now()).toISOString(),
          ...(host && { host }),
        };
        records.set(uid, node);
        if (serving) beats.set(uid, now());
        return { node: structuredClone(node), joined: !existing };
      });
    },
    list() {
      return Promise.resolve([...records.values()].map(view).sort((a, b) => a.uid - b.uid));
    },
    get(uid) {
      const record = records.get(uid);
      return Promise.resolve(record && view(record));
    },
    uids() {
      return Promise.resolve([...records.keys()].sort((a, b) => a - b));
    },
    remove(uid) {
      beats.delete(uid);
      return Promise.resolve(records.delete(uid));
    },
    heartbeat(uid) {
      if (!records.has(uid)) return false;
      beats.set(uid, now());
      return true;
    },
  };
}
