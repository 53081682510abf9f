import { setTimeout as sleep } from 'node:timers/promises';
import { shardPlanDigest, type Logger, type NodeView, type ShardModule, type ShardPlan } from '@modfleet/common';
import type { BdbRecord, BdbStore, ShardPlacement } from '../bdb-store.js';
import type { ShardAddress, ShardControl } from './shard-control.js';
import { DatabaseDeleted } from './database-deleted.js';

export interface ShardOpsDeps {
  store: BdbStore;
  shards: ShardControl;
  nodes: { list(): Promise<NodeView[]> };
  pollMs?: number;
  /** How long one shard may take to run a new plan and catch up. */
  stepTimeoutMs?: number;
  /** CLIENT PAUSE's own limit: writes resume by themselves after it even if this coordinator dies. */
  pauseMs?: number;
  /** Where the switch's step timings go (one line per failover). */
  logger?: Logger;
}

export const sameModules = (a: ShardModule[], b: ShardModule[]) => JSON.stringify(a) === JSON.stringify(b);
export const masterOf = (record: BdbRecord) => record.placement.find(s => s.plan.role === 'master')!;
export const replicaOf = (record: BdbRecord) => record.placement.find(s => s.plan.role !== 'master');

export const describeShard = (s: ShardPlacement) => `shard ${s.plan.shard_uid} on node ${s.node_uid}`;

/** While writes are paused every millisecond is a client's: the replica's offset is read this often. */
const SWITCH_POLL_MS = 1;

/** The shard steps of an upgrade, each one safe to repeat after a crash. */
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

  /**
   * Reads the master's sync counters now; the function returned reads them again once the
   * restarted replica caught up and says how it resynced: `full` when the master sent a full copy
   * meanwhile, `partial` when it answered a PSYNC with +CONTINUE, undefined when it cannot tell
   * (no counters, the master restarted or unreachable).
   */
  async function watchResync(master: ShardPlacement): Promise<() => Promise<'partial' | 'full' | undefined>> {
    const read = deps.shards.syncCounters?.bind(deps.shards);
    const address = await addressOf(master);
    const before = read && (await read(address).catch(() => undefined));
    return async () => {
      const after = before && (await read(address).catch(() => undefined));
      if (!before || !after || after.full < before.full || after.partialOk < before.partialOk) return undefined;
      if (after.full > before.full) return 'full';
      return after.partialOk > before.partialOk ? 'partial' : undefined;
    };
  }

  /** The replica was promoted already (a failover a dead coordinator began). */
  const promoted = async (replica: ShardPlacement) =>
    (await deps.shards.replication(await addressOf(replica)).catch(() => undefined))?.role === 'master';

  /**
   * Writes the record and the plans: nodes restart a shard whose modules changed, and apply a
   * role-only change live. Refused once a delete took the database (it no longer carries the change).
   */
  async function replan(record: BdbRecord): Promise<void> {
    if (!(await deps.store.replan(record))) throw new DatabaseDeleted(record.uid);
  }

  const withModules = (record: BdbRecord, shardUid: number, modules: ShardModule[]): BdbRecord => ({
    ...record,
    placement: record.placement.map(s => (s.plan.shard_uid === shardUid ? { ...s, plan: { ...s.plan, modules } } : s)),
  });

  /** The record once `replica` is the master: the endpoint on it, the old master its replica on `oldMasterModules`. */
  function switched(record: BdbRecord, r: ShardAddress, oldMasterModules: ShardModule[]): BdbRecord {
    const master = masterOf(record);
    const replica = replicaOf(record)!;
    const { replica_of: _gone, ...promotedPlan } = replica.plan;
    const newMaster: ShardPlan = { ...promotedPlan, role: 'master' };
    const demoted: ShardPlan = {
      ...master.plan,
      role: 'slave',
      modules: oldMasterModules,
      replica_of: { host: r.host, port: r.port },
    };
    return {
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
  }

  /**
   * The switch: the master's writes paused, the replica's offset equal to the master's, the
   * replica promoted, the record and plans swapped (the endpoint names the new master before any
   * client is let go), then the old master made its replica and unpaused in one round trip (a
   * write it still holds is refused READONLY, never acknowledged and lost; `oldMasterModules`: it
   * restarts on them). Clients wait only while writes are paused, so everything that can is done
   * before the pause: the addresses, the new record, one kept connection to each shard.
   * Resumable: a replica already promoted is not paused for again.
   */
  async function failover(record: BdbRecord, oldMasterModules: ShardModule[]): Promise<BdbRecord> {
    const [m, r] = [await addressOf(masterOf(record)), await addressOf(replicaOf(record)!)];
    const next = switched(record, r, oldMasterModules);
    const session = deps.shards.session?.();
    const shards = session ?? deps.shards;
    let began = performance.now();
    const steps: Record<string, number> = {};
    const step = (name: string) => (steps[name] = Math.round((performance.now() - began) * 10) / 10);
    try {
      const promoted = (await shards.replication(r).catch(() => undefined))?.role === 'master';
      if (!promoted) {
        await shards.replication(m); // opens the master's connection before its writes wait
        began = performance.now();
        await shards.pauseWrites(m, pauseMs);
        step('paused');
        try {
          const offset = (await shards.replication(m)).offset;
          await until(
            `${describeShard(replicaOf(record)!)} reaching the paused master's offset`,
            async () => ((await shards.replication(r)).offset >= offset ? true : undefined),
            pauseMs / 2,
            SWITCH_POLL_MS,
          );
          step('offset_equal');
          await shards.replicaOf(r, undefined);
          step('promoted');
        } catch (err) {
          await shards.unpause(m).catch(() => undefined);
          throw err;
        }
      }
      try {
        await replan(next);
        step('record_written');
      } finally {
        await shards.demote(m, r).catch(() => undefined);
        step('demoted_unpaused');
      }
    } finally {
      session?.close();
    }
    deps.logger?.info(
      { bdb: record.uid, switch_began_at: performance.timeOrigin + began, switch_ms: steps },
      'failover switch done',
    );
    return next;
  }

  return { running, caughtUp, promoted, replan, withModules, failover, watchResync };
}

export class StartFailed extends Error {}
