import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answersPing, probeRedis } from './redis-probe.js';
import { pollFor } from './poll.js';
import { freePort, runProcess, type Env, type ModfleetProcess } from './processes.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

export const SENTINEL_MASTER = 'modfleet-test';

/** One redis-server of the set: its port survives a restart (a killed master comes back as a replica). */
export interface RedisServerSlot {
  readonly port: number;
  process: ModfleetProcess | undefined;
}

/** A master, a replica and three Sentinels watching them, each a real process on its own free port. */
export interface SentinelSet {
  readonly servers: RedisServerSlot[];
  readonly sentinelPorts: number[];
  /** What a service needs to find the master through the Sentinels. */
  readonly env: Env;
  /** The server the Sentinels name master right now. */
  master(): Promise<RedisServerSlot>;
  /** Waits until the Sentinels name a master other than `old` and it accepts writes with a replica in sync. */
  awaitFailover(old: RedisServerSlot): Promise<RedisServerSlot>;
  /** Waits until the current master has `count` replicas online. */
  awaitReplicas(count: number): Promise<void>;
  kill(slot: RedisServerSlot): Promise<void>;
  /** Starts a killed server again on its port, empty; the Sentinels make it a replica of the master. */
  restart(slot: RedisServerSlot): Promise<void>;
  stop(): Promise<void>;
}

const DOWN_AFTER_MS = 1_000;

/** `INFO replication` of one server, as fields. */
async function replicationOf(port: number): Promise<Record<string, string>> {
  const redis = probeRedis(port);
  try {
    await redis.connect();
    const info = await redis.info('replication');
    return Object.fromEntries(
      info
        .split('\r\n')
        .filter(line => line.includes(':'))
        .map(line => line.split(':', 2) as [string, string]),
    );
  } finally {
    redis.disconnect();
  }
}

async function startServer(dir: string, port: number, args: string[]): Promise<ModfleetProcess> {
  const handle = runProcess(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    {},
    `redis-server@${port}`,
  );
  await pollFor(
    () => answersPing(port),
    up => up || !handle.isRunning(),
    `redis-server on ${port} up`,
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  if (!handle.isRunning()) throw new Error(`redis-server on ${port} exited:\n${handle.output()}`);
  return handle;
}

/**
 * Sentinels run from the redis-server binary (`redis-server <conf> --sentinel`), each with its own
 * config file, which Sentinel rewrites as it learns the set.
 */
async function startSentinel(dir: string, port: number, masterPort: number): Promise<ModfleetProcess> {
  const conf = join(dir, `sentinel-${port}.conf`);
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${SENTINEL_MASTER} 4000`,
      `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
      '',
    ].join('\n'),
  );
  const handle = runProcess('redis-server', [conf, '--sentinel'], {}, `sentinel@${port}`);
  await pollFor(
    () => answersPing(port),
    up => up || !handle.isRunning(),
    `sentinel on ${port} up`,
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  if (!handle.isRunning()) throw new Error(`sentinel on ${port} exited:\n${handle.output()}`);
  return handle;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = await makeTmpDir('modfleet-sentinel');
  const servers: RedisServerSlot[] = [];
  const sentinels: ModfleetProcess[] = [];
  const sentinelPorts: number[] = [];
  const stop = async () => {
    await Promise.all([...servers.map(slot => slot.process?.kill()), ...sentinels.map(handle => handle.kill())]);
    await removeDir(dir);
  };
  try {
    const masterPort = await freePort();
    servers.push({ port: masterPort, process: await startServer(dir, masterPort, []) });
    const replicaPort = await freePort();
    servers.push({
      port: replicaPort,
      process: await startServer(dir, replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]),
    });
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      sentinelPorts.push(port);
      sentinels.push(await startSentinel(dir, port, masterPort));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const askSentinels = async (): Promise<number | undefined> => {
    for (const port of sentinelPorts) {
      const sentinel = probeRedis(port);
      try {
        await sentinel.connect();
        const reply = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER)) as string[] | null;
        if (reply) return Number(reply[1]);
      } catch {
        // try the next one
      } finally {
        sentinel.disconnect();
      }
    }
    return undefined;
  };
  const slotOn = (port: number | undefined) => servers.find(slot => slot.port === port);

  const set: SentinelSet = {
    servers,
    sentinelPorts,
    env: {
      REDIS_URL: 'redis://unused.invalid:1',
      REDIS_SENTINELS: sentinelPorts.map(port => `127.0.0.1:${port}`).join(','),
      REDIS_SENTINEL_MASTER: SENTINEL_MASTER,
    },
    async master() {
      const slot = slotOn(await askSentinels());
      if (!slot) throw new Error('the Sentinels name no master of this set');
      return slot;
    },
    async awaitFailover(old) {
      const port = await pollFor(
        askSentinels,
        found => found !== undefined && found !== old.port,
        `Sentinels promote a new master in place of ${old.port}`,
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      await pollFor(
        () => replicationOf(port!),
        info => info.role === 'master',
        `the promoted ${port} answers as master`,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      return slotOn(port)!;
    },
    async awaitReplicas(count) {
      const master = await set.master();
      await pollFor(
        () => replicationOf(master.port),
        info => Number(info.connected_slaves) >= count && (info.slave0 ?? '').includes('state=online'),
        `master ${master.port} with ${count} replica(s) online`,
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    },
    async kill(slot) {
      await slot.process?.kill();
      slot.process = undefined;
    },
    async restart(slot) {
      const master = await set.master();
      // Started as a replica at once (what Sentinel would tell it within seconds anyway).
      slot.process = await startServer(dir, slot.port, ['--replicaof', '127.0.0.1', String(master.port)]);
    },
    stop,
  };
  return set;
}
