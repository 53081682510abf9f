import { setTimeout as sleep } from 'node:timers/promises';
import { shardPlanDigest, type NodeView, type ShardModule, type ShardPlan } from '@modfleet/common';
import type { BdbRecord, BdbStore, ShardPlacement } from '../bdb-store.js';
import type { ShardAddress, ShardControl } from './shard-control.js';

export interface ShardOpsDeps {
  store: BdbStore;
  shards: ShardControl;
  nodes: { list(): Promise<NodeView[]> };
  pollMs?: number;
  /** How long one shard may take to run a new plan and catch up. */
  stepTimeoutMs?: number;
  /** CLIENT PAUSE's own limit: writes resume by themselves after it even if this coordinator dies. */
  pauseMs?: number;
}

export const sameModules = (a: ShardModule[], b: ShardModule[]) => JSON.stringify(a) === JSON.stringify(b);
export const masterOf = (record: BdbRecord) => record.placement.find(s => s.plan.role === 'master')!;
export const replicaOf = (record: BdbRecord) => record.placement.find(s => s.plan.role !== 'master');

export const describeShard = (s: ShardPlacement) => `shard ${s.plan.shard_uid} on node ${s.node_uid}`;

/** The shard steps of an upgrade, each one safe to repeat after a crash. */
/** While writes are paused every millisecond is a client's: the replica's offset is read this often. */
const SWITCH_POLL_MS = 5;

export function shardOps(deps: ShardOpsDeps) {
  const pollMs = deps.pollMs ?? 100;
  const stepTimeoutMs = deps.stepTimeoutMs ?? 120_000;
  const pauseMs = deps.pauseMs ?? 10_000;

  async function hostOf(nodeUid: number): Promise<string> {
    const node = (await deps.nodes.list()).find(n => n.uid === nodeUid);
    if (!node) throw new Error(`node ${nodeUid} is no longer in the cluster`);
    return new URL(node.url).hostname.replace(/^\[|\]$/g, '');
  }
  const addressOf = async (s: ShardPlacement): Promise<ShardAddress> => ({
    host: await hostOf(s.node_uid),
    port: s.plan.port,
  });

  async function until<T>(
    what: string,
    check: () => Promise<T | undefined>,
    timeoutMs = stepTimeoutMs,
    intervalMs = pollMs,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check().catch((err: unknown) => {
        if (err instanceof StartFailed) throw err;
        return undefined;
      });
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
      await sleep(intervalMs);
    }
  }

  /** The agent runs the shard under exactly this plan; its start failure is thrown in redis-server's words. */
  async function running(shard: ShardPlacement): Promise<void> {
    const digest = shardPlanDigest(shard.plan);
    await until(`${describeShard(shard)} running its new plan`, async () => {
      const report = (await deps.store.reports([shard.plan.shard_uid])).get(shard.plan.shard_uid);
      if (report?.plan_digest !== digest) return undefined;
      if (report.state === 'failed')
        throw new StartFailed(`${describeShard(shard)}: ${report.error ?? 'did not start'}`);
      return report.state === 'running' ? true : undefined;
    });
  }

  /** The replica's link is up and it has applied what the master had when asked. */
  async function caughtUp(replica: ShardPlacement, master: ShardPlacement): Promise<void> {
    const [r, m] = [await addressOf(replica), await addressOf(master)];
    const target = (await deps.shards.replication(m)).offset;
    await until(`${describeShard(replica)} catching up with its master`, async () => {
      const info = await deps.shards.replication(r);
      return info.role === 'slave' && info.linkUp && info.offset >= target ? true : undefined;
    });
  }

  /** The replica was promoted already (a failover a dead coordinator began). */
  const promoted = async (replica: ShardPlacement) =>
    (await deps.shards.replication(await addressOf(replica)).catch(() => undefined))?.role === 'master';

  /** Writes the record and the plans: nodes restart a shard whose modules changed, and apply a role-only change live. */
  const replan = (record: BdbRecord) => deps.store.replan(record);

  const withModules = (record: BdbRecord, shardUid: number, modules: ShardModule[]): BdbRecord => ({
    ...record,
    placement: record.placement.map(s => (s.plan.shard_uid === shardUid ? { ...s, plan: { ...s.plan, modules } } : s)),
  });

  /**
   * The switch: the master's writes paused, the replica's offset equal to the master's, the
   * replica promoted, the record and plans swapped (the endpoint names the new master before any
   * client is let go), then the old master made its replica and unpaused (a write it still holds
   * is refused READONLY, never acknowledged and lost; `oldMasterModules`: it restarts on them).
   * Clients wait only while writes are paused. Resumable: a replica already promoted is not paused for again.
   */
  async function failover(record: BdbRecord, oldMasterModules: ShardModule[]): Promise<BdbRecord> {
    const master = masterOf(record);
    const replica = replicaOf(record)!;
    const [m, r] = [await addressOf(master), await addressOf(replica)];
    const promoted = (await deps.shards.replication(r).catch(() => undefined))?.role === 'master';
    if (!promoted) {
      await deps.shards.pauseWrites(m, pauseMs);
      try {
        const offset = (await deps.shards.replication(m)).offset;
        await until(
          `${describeShard(replica)} reaching the paused master's offset`,
          async () => ((await deps.shards.replication(r)).offset >= offset ? true : undefined),
          pauseMs / 2,
          SWITCH_POLL_MS,
        );
        await deps.shards.replicaOf(r, undefined);
      } catch (err) {
        await deps.shards.unpause(m).catch(() => undefined);
        throw err;
      }
    }
    const { replica_of: _gone, ...promotedPlan } = replica.plan;
    const newMaster: ShardPlan = { ...promotedPlan, role: 'master' };
    const demoted: ShardPlan = {
      ...master.plan,
      role: 'slave',
      modules: oldMasterModules,
      replica_of: { host: r.host, port: r.port },
    };
    const next: BdbRecord = {
      ...record,
      endpoints: record.endpoints.map(e => ({ ...e, addr: [r.host], dns_name: r.host, port: r.port })),
      placement: record.placement.map(s =>
        s.plan.shard_uid === replica.plan.shard_uid
          ? { ...s, plan: newMaster }
          : s.plan.shard_uid === master.plan.shard_uid
            ? { ...s, plan: demoted }
            : s,
      ),
    };
    try {
      await replan(next);
    } finally {
      await deps.shards.replicaOf(m, r).catch(() => undefined);
      await deps.shards.unpause(m).catch(() => undefined);
    }
    return next;
  }

  return { running, caughtUp, promoted, replan, withModules, failover };
}

export class StartFailed extends Error {}
