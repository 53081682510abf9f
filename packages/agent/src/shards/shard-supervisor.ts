import { mkdir } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import {
  sameBesidesRole,
  shardPlanDigest,
  type Logger,
  type RedisKeys,
  type ShardPlan,
  type ShardReport,
  type ShardState,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { shardArgs } from './shard-args.js';
import {
  extractShardModules,
  readShardFolder,
  removeShardFolder,
  shardDirOf,
  shardFolders,
  writeShardPlan,
} from './shard-files.js';
import { startConcurrently } from './shard-starts.js';
import { applyShardRole } from './shard-role.js';
import { finishShutdownSnapshotStart, resumesFromShutdownSnapshot, stopShardSaving } from './shard-resume.js';
import {
  isRedisServerProcess,
  pingShard,
  probeHostOf,
  SHARD_START_TIMEOUT_MS,
  startShardProcess,
  stopShardProcess,
} from './shard-process.js';

export interface ShardSupervisorDeps {
  redis: Redis;
  subscriber: Redis;
  keys: RedisKeys;
  nodeUid: number;
  dataDir: string;
  /** The address shards listen on (the agent's MODFLEET_HOST). */
  bind: string;
  /** The redis-server to run; undefined: this node cannot host shards (each one fails, saying so). */
  redisServer: string | undefined;
  artifacts: Pick<ArtifactStore, 'get' | 'zipPath'>;
  maxModuleBytes: number;
  logger: Logger;
  tickMs?: number;
  startTimeoutMs?: number;
}

interface TrackedShard {
  plan: ShardPlan;
  planJson: string;
  pid?: number;
  /** Set when this agent started it: its exit is seen at once. */
  child?: ChildProcess;
  childExited?: boolean;
  /** Failed under this plan before it ever ran: not retried until the plan changes. */
  gaveUp?: boolean;
  /** It ran once: a death is restarted, with backoff. */
  ran?: boolean;
  nextAttempt: number;
  backoffMs: number;
}

export interface ShardSupervisor {
  /** Reconcile now (the coordinator's nudge, a shard's exit). */
  kick(): void;
  /** Stops every shard this agent runs (their data stays) and forgets their reports. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Runs what the coordinator planned for this node: starts each planned shard, restarts one that
 * died (with its data), stops and removes one no longer planned, and reports each one's state to
 * Redis. A restarted agent finds the shards still running from their folder's pid and plan.
 */
export async function startShardSupervisor(deps: ShardSupervisorDeps): Promise<ShardSupervisor> {
  const { redis, keys, logger } = deps;
  const tracked = new Map<number, TrackedShard>();
  const probeHost = probeHostOf(deps.bind);
  let stopped = false;

  const report = (plan: ShardPlan, state: ShardState, extra: Partial<ShardReport> = {}) => {
    const body: ShardReport = {
      node_uid: deps.nodeUid,
      state,
      plan_digest: shardPlanDigest(plan),
      updated_at: new Date().toISOString(),
      ...extra,
    };
    return redis.hset(keys.shardReports, String(plan.shard_uid), JSON.stringify(body));
  };
  const alive = (shard: TrackedShard) =>
    shard.child ? !shard.childExited : shard.pid !== undefined && isRedisServerProcess(shard.pid);

  async function stopShard(shardUid: number, shard: TrackedShard, removeData: boolean) {
    tracked.delete(shardUid);
    if (shard.pid !== undefined && alive(shard)) await stopShardProcess(shard.pid);
    if (removeData) await removeShardFolder(shardDirOf(deps.dataDir, shard.plan.bdb_uid));
  }

  /** A planned restart into `next`: true when the shard saved its data and replication offset on the way down. */
  async function stopForRestart(shardUid: number, shard: TrackedShard, next: ShardPlan): Promise<boolean> {
    if (shard.pid === undefined || !alive(shard) || !resumesFromShutdownSnapshot(next)) {
      await stopShard(shardUid, shard, false);
      return false;
    }
    tracked.delete(shardUid);
    const saved = await stopShardSaving(probeHost, shard.plan.port, shard.pid);
    logger.info({ shard: shardUid, bdb: next.bdb_uid, saved }, 'shard stopped for a planned restart');
    return saved;
  }

  async function start(plan: ShardPlan, previous: TrackedShard | undefined, fromShutdownSnapshot = false) {
    const shard: TrackedShard = {
      plan,
      planJson: JSON.stringify(plan),
      ran: previous?.ran ?? false,
      nextAttempt: 0,
      backoffMs: previous?.backoffMs ?? 1000,
    };
    tracked.set(plan.shard_uid, shard);
    const dir = shardDirOf(deps.dataDir, plan.bdb_uid);
    await report(plan, 'starting');
    try {
      if (!deps.redisServer) throw new Error('this node has no redis-server (MODFLEET_REDIS_SERVER)');
      await mkdir(dir, { recursive: true });
      // From the shutdown snapshot: the folder keeps naming the old plan until the shard is fully
      // back (AOF on again), so an agent SIGKILLed meanwhile restarts it as after a crash.
      if (!fromShutdownSnapshot) await writeShardPlan(dir, plan);
      const modules = await extractShardModules(plan, deps.dataDir, deps.artifacts, deps.maxModuleBytes);
      const started = await startShardProcess({
        redisServer: deps.redisServer,
        args: shardArgs(plan, { bind: deps.bind, dir, modules, fromShutdownSnapshot }),
        dir,
        probeHost,
        port: plan.port,
        ...(deps.startTimeoutMs && { timeoutMs: deps.startTimeoutMs }),
      });
      Object.assign(shard, { pid: started.pid, child: started.child, ran: true, backoffMs: 1000 });
      if (fromShutdownSnapshot) {
        await finishShutdownSnapshotStart(probeHost, plan, dir, deps.startTimeoutMs ?? SHARD_START_TIMEOUT_MS).catch(
          async (err: unknown) => {
            // Stopped, then started again as after a crash: from its AOF, with a full sync.
            shard.childExited = true;
            await stopShardProcess(started.pid);
            throw err;
          },
        );
        await writeShardPlan(dir, plan);
      }
      void started.exited.then(() => {
        shard.childExited = true;
        if (!stopped && tracked.get(plan.shard_uid) === shard) {
          logger.warn({ shard: plan.shard_uid, bdb: plan.bdb_uid }, 'shard exited: restarting it');
          supervisor.kick();
        }
      });
      await report(plan, 'running', { pid: started.pid });
      logger.info(
        { shard: plan.shard_uid, bdb: plan.bdb_uid, port: plan.port, pid: started.pid, fromShutdownSnapshot },
        'shard running',
      );
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      shard.gaveUp = !shard.ran;
      shard.nextAttempt = Date.now() + shard.backoffMs;
      shard.backoffMs = Math.min(shard.backoffMs * 2, MAX_BACKOFF_MS);
      await report(plan, 'failed', { error });
      logger.warn({ shard: plan.shard_uid, bdb: plan.bdb_uid, error }, 'shard could not start');
    }
  }

  /** A role-only change (a failover): applied live, the process and its data kept; false: restart it. */
  async function changeRole(shard: TrackedShard, plan: ShardPlan): Promise<boolean> {
    try {
      await applyShardRole(probeHost, plan);
      await writeShardPlan(shardDirOf(deps.dataDir, plan.bdb_uid), plan);
      Object.assign(shard, { plan, planJson: JSON.stringify(plan) });
      await report(plan, 'running', { ...(shard.pid !== undefined && { pid: shard.pid }) });
      logger.info({ shard: plan.shard_uid, bdb: plan.bdb_uid, role: plan.role }, 'shard role changed live');
      return true;
    } catch (err) {
      logger.warn({ err, shard: plan.shard_uid }, 'could not change the shard role live: restarting it');
      return false;
    }
  }

  async function reconcile() {
    const planned = new Map(
      Object.entries(await redis.hgetall(keys.nodeShards(deps.nodeUid))).map(([uid, json]) => [
        Number(uid),
        JSON.parse(json) as ShardPlan,
      ]),
    );
    for (const [uid, shard] of [...tracked]) {
      if (planned.has(uid)) continue;
      await stopShard(uid, shard, true);
      await redis.hdel(keys.shardReports, String(uid));
      logger.info({ shard: uid, bdb: shard.plan.bdb_uid }, 'shard withdrawn: stopped, data removed');
    }
    const starts: [ShardPlan, TrackedShard | undefined, boolean][] = [];
    for (const [uid, plan] of planned) {
      if (stopped) return;
      const shard = tracked.get(uid);
      if (shard && shard.planJson !== JSON.stringify(plan) && alive(shard) && sameBesidesRole(shard.plan, plan)) {
        if (await changeRole(shard, plan)) continue;
      }
      if (shard && shard.planJson !== JSON.stringify(plan)) {
        starts.push([plan, undefined, await stopForRestart(uid, shard, plan)]);
        continue;
      }
      if (shard && (alive(shard) || shard.gaveUp || Date.now() < shard.nextAttempt)) continue;
      starts.push([plan, shard, false]);
    }
    await startConcurrently(starts, ([plan, previous, fromShutdownSnapshot]) =>
      stopped ? Promise.resolve() : start(plan, previous, fromShutdownSnapshot),
    );
  }

  /** A restarted agent: shards still running are taken over; folders nothing plans are cleared away. */
  async function adopt() {
    const planned = await redis.hgetall(keys.nodeShards(deps.nodeUid));
    const plannedByBdb = new Map(
      Object.values(planned).map(json => [(JSON.parse(json) as ShardPlan).bdb_uid, json] as const),
    );
    for (const bdbUid of await shardFolders(deps.dataDir)) {
      const dir = shardDirOf(deps.dataDir, bdbUid);
      const { plan, pid } = await readShardFolder(dir);
      const running = pid !== undefined && isRedisServerProcess(pid) && plan && (await pingShard(probeHost, plan.port));
      const planJson = plannedByBdb.get(bdbUid);
      if (plan && running && planJson === JSON.stringify(plan)) {
        tracked.set(plan.shard_uid, { plan, planJson, pid, ran: true, nextAttempt: 0, backoffMs: 1000 });
        await report(plan, 'running', { pid });
        logger.info({ shard: plan.shard_uid, bdb: bdbUid, pid }, 'shard found running');
      } else if (!planJson) {
        if (running && pid !== undefined) await stopShardProcess(pid);
        await removeShardFolder(dir);
      } else if (running && pid !== undefined) {
        await stopShardProcess(pid); // started from another plan: started again from the current one
      }
    }
  }

  let pass: Promise<void> | undefined;
  let again = false;
  const supervisor: ShardSupervisor = {
    kick() {
      if (stopped) return;
      if (pass) {
        again = true;
        return;
      }
      pass = (async () => {
        do {
          again = false;
          await reconcile().catch((err: unknown) => logger.error({ err }, 'shard reconcile failed'));
        } while (again && !stopped);
        pass = undefined;
      })();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      subscriber.off('message', onMessage);
      await subscriber.unsubscribe(channel).catch(() => undefined);
      await pass;
      const shards = [...tracked];
      await Promise.all(shards.map(([uid, shard]) => stopShard(uid, shard, false)));
      if (shards.length > 0) await redis.hdel(keys.shardReports, ...shards.map(([uid]) => String(uid))).catch(() => 0);
      logger.info({ shards: shards.length }, 'shards stopped');
    },
  };

  await adopt();
  const { subscriber } = deps;
  const channel = keys.nodeShardsChanged(deps.nodeUid);
  const onMessage = (from: string) => {
    if (from === channel) supervisor.kick();
  };
  subscriber.on('message', onMessage);
  await subscriber.subscribe(channel);
  const timer = setInterval(() => supervisor.kick(), deps.tickMs ?? 1000);
  timer.unref();
  supervisor.kick();
  return supervisor;
}
