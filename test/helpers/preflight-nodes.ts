import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { shardArgs, startPreflightResponder, type PreflightResponder } from '@modfleet/agent';
import { createLogger, redisKeys, type NodeView, type ShardModule, type ShardPlan } from '@modfleet/common';
import { createPreflightRunner, type BdbRecord, type PreflightRunner } from '@modfleet/coordinator';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './processes.js';
import { answersPing } from './redis-probe.js';
import { REDIS_URL } from './redis.js';
import { MFVER_VERSIONS, testModulePath, writeTestModuleZip, type MfverSemver } from './test-modules.js';

export const preflightMfver = (semver: MfverSemver, module_args = 'LABEL test'): ShardModule => ({
  module_name: 'mfver',
  version: MFVER_VERSIONS[semver].version,
  module_args,
});

export interface PreflightShard {
  nodeUid: number;
  plan: ShardPlan;
  dir: string;
  client: Redis;
}

export interface PreflightNodes {
  /** The database: node 1's master and, replicated, node 2's replica of it. */
  record: BdbRecord;
  shards: PreflightShard[];
  /** The coordinator's side, knowing where each node is (127.0.0.1). */
  runner: PreflightRunner;
  /** The pre-flight with its rollback rehearsal, as an upgrade runs it. */
  run(target: ShardModule[], timeoutMs?: number): ReturnType<PreflightRunner['run']>;
  /** Each node's `steps_ms` from its `pre-flight answered` log lines since the last call. */
  takeSteps(): Record<number, unknown[]>;
  /** Another redis-server on 127.0.0.1 with these args, for a test to put in a record (killed by stop()). */
  startServer(args: string[]): Promise<{ port: number; client: Redis }>;
  stop(): Promise<void>;
}

/**
 * An mfver 1.0.0 database's shards as agents run them (shardArgs), each node with its own data
 * dir and pre-flight responder in this process, and a runner that reaches them through Redis.
 */
export async function startPreflightNodes(options: {
  work: string;
  redisServer: string;
  prefix: string;
  replicated: boolean;
}): Promise<PreflightNodes> {
  const { work, redisServer } = options;
  const keys = redisKeys(options.prefix);
  const stops: (() => Promise<unknown>)[] = [];
  const children: ChildProcess[] = [];
  const connection = () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    stops.push(() => Promise.resolve(redis.disconnect()));
    return redis;
  };
  const startServer = async (args: string[], port: number) => {
    const child = spawn(redisServer, args, { stdio: 'ignore' });
    children.push(child);
    await waitUntil(() => answersPing(port), `redis-server on ${port} answering`, 15_000);
    const client = new Redis({ port, host: '127.0.0.1' });
    stops.push(() => Promise.resolve(client.disconnect()));
    return client;
  };
  const zips = new Map<number, string>();
  for (const semver of ['1.0.0', '1.1.0', '2.0.0'] as const)
    zips.set(MFVER_VERSIONS[semver].version, await writeTestModuleZip(work, semver));
  const modules = [{ path: await testModulePath('1.0.0'), args: 'LABEL test' }];
  const nodeUids = options.replicated ? [1, 2] : [1];
  const shards: PreflightShard[] = [];
  const steps = new Map<number, unknown[]>();
  const redis = connection();
  for (const nodeUid of nodeUids) {
    const master = shards[0]?.plan;
    const plan: ShardPlan = {
      shard_uid: 10 + nodeUid,
      bdb_uid: 1,
      role: master ? 'slave' : 'master',
      port: await freePort(),
      memory_size: 0,
      data_persistence: 'disabled',
      modules: [preflightMfver('1.0.0')],
      ...(master && { replica_of: { host: '127.0.0.1', port: master.port } }),
    };
    const dir = join(work, `node-${nodeUid}`, 'shards', '1');
    await mkdir(dir, { recursive: true });
    const client = await startServer(shardArgs(plan, { bind: '127.0.0.1', dir, modules }), plan.port);
    shards.push({ nodeUid, plan, dir, client });
    await redis.hset(keys.nodeShards(nodeUid), String(plan.shard_uid), JSON.stringify(plan));
    steps.set(nodeUid, []);
    const log = {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; steps_ms?: unknown };
        if (entry.msg === 'pre-flight answered') steps.get(nodeUid)!.push(entry.steps_ms);
      },
    };
    const responder: PreflightResponder = await startPreflightResponder({
      redis: connection(),
      subscriber: connection(),
      keys,
      nodeUid,
      dataDir: join(work, `node-${nodeUid}`),
      redisServer,
      artifacts: {
        get: (module_name, version) =>
          zips.has(version)
            ? ({ module_name, version, sha256: String(version).padEnd(64, '0'), module_file: 'mfver.so' } as never)
            : undefined,
        zipPath: (_name, version) => zips.get(version)!,
      },
      maxModuleBytes: 64 * 1024 * 1024,
      probeHost: '127.0.0.1',
      logger: createLogger({ name: 'agent', level: 'info' }, log),
    });
    stops.push(() => responder.stop());
  }
  const placement = shards.map(({ nodeUid, plan }) => ({ node_uid: nodeUid, plan }));
  const record = { uid: 1, replication: options.replicated, placement } as unknown as BdbRecord;
  const nodes = {
    list: () =>
      Promise.resolve(nodeUids.map(uid => ({ uid, url: `https://127.0.0.1:${9000 + uid}` }) as unknown as NodeView)),
  };
  const runner = createPreflightRunner({ redis, keys, nodes });
  return {
    record,
    shards,
    runner,
    run: (target, timeoutMs = 300_000) => runner.run(record, target, { rehearseRollback: true, timeoutMs }),
    takeSteps: () => Object.fromEntries(nodeUids.map(uid => [uid, steps.get(uid)!.splice(0)])),
    async startServer(args) {
      const port = await freePort();
      return { port, client: await startServer(['--port', String(port), '--bind', '127.0.0.1', ...args], port) };
    },
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      for (const child of children) child.kill('SIGKILL');
    },
  };
}
