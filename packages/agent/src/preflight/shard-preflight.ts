import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_CHECK_MEMORY_BYTES,
  withThrowawayRedis,
  type PreflightShardRequest,
  type ShardModule,
  type ShardPlan,
  type ShardPreflight,
} from '@modfleet/common';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { LoadedModule } from '../shards/shard-args.js';
import { extractShardModules } from '../shards/shard-files.js';
import { copyShardRdb, findRedisCli } from './copy-shard-rdb.js';
import { copySourceFor } from './copy-source.js';
import { uncompressedSnapshots } from './uncompressed-snapshots.js';
import { loadModules, loadRdb, PREFLIGHT_SERVER_ARGS } from './throwaway-steps.js';

export interface ShardPreflightDeps {
  nodeUid: number;
  dataDir: string;
  /** Full path of the node's redis-server (findRedisServer); undefined: nothing can run. */
  redisServer: string | undefined;
  artifacts: Pick<ArtifactStore, 'get' | 'zipPath'>;
  maxModuleBytes: number;
  /** Where the agent reaches its shards (probeHostOf the bind address). */
  probeHost: string;
}

type Step = ShardPreflight['load'];
type DataStep = ShardPreflight['data'];
type RollbackStep = NonNullable<ShardPreflight['rollback']>;

/** How long each step took, in ms, for the agent's log (what the pre-flight's time went to). */
export type PreflightStepTimes = Partial<
  Record<'extract' | 'modules' | 'source' | 'copy' | 'load' | 'save' | 'rehearse', number>
>;

/** `<data dir>/preflight`: the throwaway servers' folders and the copied RDBs, each removed after use. */
export const preflightDirOf = (dataDir: string) => join(dataDir, 'preflight');

const GIB = 1024 * 1024 * 1024;
/** Address space for a throwaway server holding a copy of the shard's data. */
const memoryFor = (plan: ShardPlan) =>
  plan.memory_size > 0 ? Math.max(DEFAULT_CHECK_MEMORY_BYTES, 3 * plan.memory_size + GIB) : 4 * GIB;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * One shard's pre-flight on this node, within `timeoutMs`: (1) the target modules with their new
 * args load into a throwaway redis-server; (2) a fresh copy of the shard's data (taken from its
 * in-sync replica when the coordinator names one) loads there; (3) when asked, that server saves it
 * with the target versions and a second throwaway server with the current modules and args loads
 * it back. The shard's process and folder are never touched.
 */
export async function runShardPreflight(
  deps: ShardPreflightDeps,
  plan: ShardPlan,
  target: ShardModule[],
  options: {
    rehearseRollback: boolean;
    timeoutMs: number;
    /** The coordinator's word: copy the data from this in-sync replica of the shard (copySourceFor). */
    copyFrom?: PreflightShardRequest['copy_from'];
    steps?: PreflightStepTimes;
  },
): Promise<ShardPreflight> {
  const started = Date.now();
  const steps = options.steps ?? {};
  const timed = async <T>(step: keyof PreflightStepTimes, run: () => Promise<T>): Promise<T> => {
    const from = performance.now();
    try {
      return await run();
    } finally {
      steps[step] = Math.round(performance.now() - from);
    }
  };
  const deadline = started + options.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const answer = (load: Step, data: DataStep, rollback?: RollbackStep): ShardPreflight => ({
    node_uid: deps.nodeUid,
    shard_uid: plan.shard_uid,
    role: plan.role,
    load,
    data,
    ...(rollback && { rollback }),
    duration_ms: Date.now() - started,
  });
  const notTried = (why: string) => ({ ok: false, error: `not tried: ${why}` });
  const notRehearsed = (why: string) =>
    options.rehearseRollback ? { possible: false, error: `not rehearsed: ${why}` } : undefined;

  const { redisServer } = deps;
  if (!redisServer) {
    const why = 'this node has no redis-server (MODFLEET_REDIS_SERVER)';
    return answer({ ok: false, error: why }, notTried(why), notRehearsed(why));
  }
  let targetModules: LoadedModule[];
  let currentModules: LoadedModule[];
  try {
    targetModules = await timed('extract', () =>
      extractShardModules({ ...plan, modules: target }, deps.dataDir, deps.artifacts, deps.maxModuleBytes),
    );
  } catch (err) {
    const why = 'the target modules are not on this node';
    return answer({ ok: false, error: message(err) }, notTried(why), notRehearsed(why));
  }
  const redisCli = await findRedisCli(redisServer);
  const workDir = preflightDirOf(deps.dataDir);
  await mkdir(workDir, { recursive: true });
  const scratch = await mkdtemp(join(workDir, `shard-${plan.shard_uid}-`));
  const rehearsalRdb = join(scratch, 'rehearsal.rdb');
  const serverOptions = () => ({
    redisServer,
    workDir,
    timeoutMs: remaining(),
    memoryBytes: memoryFor(plan),
    extraArgs: PREFLIGHT_SERVER_ARGS,
  });
  let compressAgain: (() => Promise<void>) | undefined;
  let ended = false;
  try {
    let phase: 'load' | 'data' = 'load';
    let load: Step = { ok: false };
    let data: DataStep;
    try {
      data = await withThrowawayRedis(serverOptions(), async server => {
        const refused = await timed('modules', () => loadModules(server, targetModules));
        if (refused) {
          load = { ok: false, error: refused };
          return notTried('the target modules did not load');
        }
        load = { ok: true };
        phase = 'data';
        if (!redisCli) return { ok: false, error: 'no redis-cli on this node to copy the shard’s data with' };
        const copy = join(server.dir, 'dump.rdb');
        const source = await timed('source', () =>
          copySourceFor(plan, deps.probeHost, options.copyFrom, { nodeUid: deps.nodeUid, timeoutMs: remaining() }),
        );
        const copied = source.from && { copied_from: source.from };
        // Its own shard: uncompressed for this copy and, a replica, for the other node's right after
        // it; back on at the end (at once if the session's deadline already ended the pre-flight).
        if (!source.from) {
          const restore = await uncompressedSnapshots(source.host, source.port);
          if (ended) await restore();
          else compressAgain = restore;
        }
        await timed('copy', () => copyShardRdb({ ...source, redisCli, file: copy, timeoutMs: remaining() }));
        const unread = await timed('load', () => loadRdb(server));
        if (unread) return { ok: false, error: unread, ...copied };
        const keys = Number(await server.call('DBSIZE'));
        if (options.rehearseRollback) {
          await timed('save', () => server.call('SAVE'));
          await rename(copy, rehearsalRdb);
        }
        return { ok: true, keys, ...copied };
      });
    } catch (err) {
      if (phase === 'load') load = { ok: false, error: message(err) };
      data = phase === 'load' ? notTried('the target modules did not load') : { ok: false, error: message(err) };
    }
    if (!options.rehearseRollback) return answer(load, data);
    if (!data.ok) return answer(load, data, notRehearsed('the data did not load with the target versions'));
    currentModules = await extractShardModules(plan, deps.dataDir, deps.artifacts, deps.maxModuleBytes);
    const rollback = await timed('rehearse', () =>
      rehearse(serverOptions(), currentModules, rehearsalRdb, data.keys ?? 0),
    );
    return answer(load, data, rollback);
  } catch (err) {
    return answer({ ok: false, error: message(err) }, notTried('the pre-flight failed'), notRehearsed(message(err)));
  } finally {
    ended = true;
    await compressAgain?.();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The current modules and args load what the target versions saved, every key of it. */
async function rehearse(
  options: Parameters<typeof withThrowawayRedis>[0],
  currentModules: LoadedModule[],
  rdb: string,
  keys: number,
): Promise<RollbackStep> {
  try {
    return await withThrowawayRedis(options, async server => {
      const refused = await loadModules(server, currentModules);
      if (refused) return { possible: false, error: `the current modules did not load: ${refused}` };
      await rename(rdb, join(server.dir, 'dump.rdb'));
      const unread = await loadRdb(server);
      if (unread) return { possible: false, error: unread };
      const loaded = Number(await server.call('DBSIZE'));
      if (loaded !== keys) return { possible: false, error: `the current versions read ${loaded} of ${keys} keys` };
      return { possible: true };
    });
  } catch (err) {
    return { possible: false, error: message(err) };
  }
}
