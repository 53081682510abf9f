/**
 * What an upgrade of a replicated shard costs done by hand on throwaway redis-servers: one full
 * sync of a new replica, one `REPLICAOF NO ONE` promotion under a write loop, and two restarts of
 * a server that loads its data from its RDB (the db-upgrade bench's baselines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/helpers/processes.js';
import { answersPing } from '../../test/helpers/redis-probe.js';
import { fixed, trackChild } from './util.js';
import { directClient, fillWithData, lostWrites, startWriteLoop, type Endpoint, type WaitTrace } from './write-loop.js';

const HOST = '127.0.0.1';

/** Polls every `intervalMs` (finer than the test helpers' 25 ms: these waits are the baseline). */
async function waitUntil(check: () => Promise<boolean>, message: string, timeoutMs: number, intervalMs = 5) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await sleep(intervalMs);
  }
}

interface HandServer extends Endpoint {
  dir: string;
  child: ChildProcess;
}

export interface ByHandResult {
  keys: number;
  fullSyncMs: number;
  /** The loop's longest wait across the promotion: the client-visible gap. */
  promotionWaitMs: number;
  /** From CLIENT PAUSE on the master to REPLICAOF NO ONE answered on the replica. */
  pauseToWritableMs: number;
  /** The switch's steps in ms from the pause, and the client's longest wait (for `--trace`). */
  promotionSteps: Record<string, number>;
  promotionBeganAt: number;
  promotionLongest?: WaitTrace;
  /** The bench process's longest event-loop delay while the loop ran. */
  benchLagMaxMs: number;
  promotionWrites: number;
  promotionLost: number;
  restartMs: number[];
}

async function startServer(redisServer: string, module: string, dir: string, port: number): Promise<HandServer> {
  await mkdir(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no'];
  // As a shard's command line (shardArgs): redis-server's default waits 5 s before a diskless full sync.
  args.push('--repl-diskless-sync-delay', '0');
  const child = trackChild(spawn(redisServer, [...args, '--loadmodule', module], { stdio: 'ignore' }));
  await waitUntil(() => answersPing(port), `redis-server on ${port} answering (loaded)`, 300_000);
  return { host: HOST, port, dir, child };
}

/** SIGTERM (no save: `--save ''`) and wait for the exit. */
async function stopServer(server: HandServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise(done => server.child.once('exit', done));
  server.child.kill('SIGTERM');
  await exited;
}

async function command(endpoint: Endpoint, ...args: string[]): Promise<string> {
  const client = directClient(endpoint);
  await client.connect();
  try {
    return String(await client.call(args[0]!, ...args.slice(1)));
  } finally {
    client.disconnect();
  }
}

const replicationField = async (endpoint: Endpoint, field: string): Promise<string> =>
  new RegExp(`^${field}:(\\S+)`, 'm').exec(await command(endpoint, 'INFO', 'replication'))?.[1] ?? '';

async function fullSync(replica: Endpoint, master: Endpoint): Promise<number> {
  const started = performance.now();
  await command(replica, 'REPLICAOF', master.host, String(master.port));
  await waitUntil(
    async () => (await replicationField(replica, 'master_link_status')) === 'up',
    'the replica’s full sync',
    600_000,
  );
  return performance.now() - started;
}

/** The switch as an operator does it: pause, offsets equal, promote, old master follows, unpause. */
async function promote(
  master: Endpoint,
  replica: Endpoint,
  moved: () => void,
): Promise<{ writableMs: number; beganAt: number; steps: Record<string, number> }> {
  const started = performance.now();
  const steps: Record<string, number> = {};
  const step = (name: string) => (steps[name] = performance.now() - started);
  await command(master, 'CLIENT', 'PAUSE', '10000', 'WRITE');
  step('paused');
  const offset = Number(await replicationField(master, 'master_repl_offset'));
  await waitUntil(
    async () => Number(await replicationField(replica, 'master_repl_offset')) >= offset,
    'the replica reaching the paused master’s offset',
    10_000,
    1,
  );
  step('offset_equal');
  await command(replica, 'REPLICAOF', 'NO', 'ONE');
  const writableMs = step('promoted');
  moved();
  await command(master, 'REPLICAOF', replica.host, String(replica.port));
  step('demoted');
  await command(master, 'CLIENT', 'UNPAUSE');
  step('unpaused');
  return { writableMs, beganAt: performance.timeOrigin + started, steps };
}

/** The promotion by hand's steps and its longest client wait, in ms from the pause. */
export function handTraceLine(hand: ByHandResult): string {
  const at = (ms: number) => `${ms >= 0 ? '+' : ''}${fixed(ms, 1)}`;
  const steps = Object.entries(hand.promotionSteps).map(([step, ms]) => `${step} ${at(ms)}`);
  const client = hand.promotionLongest;
  const events = client?.events.map(e => `${e.what} ${at(e.at - hand.promotionBeganAt)}`) ?? [];
  return `${steps.join(', ')}; client: write began ${client ? at(client.began - hand.promotionBeganAt) : '?'}; ${events.join('; ')}`;
}

/** Stops and starts `server` on the same port and dir until it answers PING, its RDB loaded. */
async function restart(redisServer: string, module: string, server: HandServer): Promise<[HandServer, number]> {
  const started = performance.now();
  await stopServer(server);
  const again = await startServer(redisServer, module, server.dir, server.port);
  return [again, performance.now() - started];
}

/**
 * The baselines, on servers loading `current` (`target` for the restarts, as the upgrade does),
 * holding `sizeMib` of the same data. Every server is stopped before it returns (or by the
 * bench's cleanup when interrupted: they are tracked children).
 */
export async function measureByHand(options: {
  redisServer: string;
  current: string;
  target: string;
  workDir: string;
  sizeMib: number;
}): Promise<ByHandResult> {
  const { redisServer, current, target, workDir, sizeMib } = options;
  const servers: HandServer[] = [];
  try {
    const master = await startServer(redisServer, current, join(workDir, 'a'), await freePort());
    servers.push(master);
    const keys = await fillWithData(master, sizeMib);
    const replica = await startServer(redisServer, current, join(workDir, 'b'), await freePort());
    servers.push(replica);
    const fullSyncMs = await fullSync(replica, master);

    let writeTo: Endpoint = master;
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const loop = startWriteLoop(() => Promise.resolve(writeTo));
    await sleep(1000);
    const promotion = await promote(master, replica, () => (writeTo = replica));
    await sleep(1000);
    const writes = await loop.stop();
    lag.disable();
    const lost = await lostWrites(replica, writes.acknowledged);

    // The restarts: the new master, its data saved once (untimed), loaded back twice.
    await command(replica, 'SAVE');
    const restartMs: number[] = [];
    let restarted = replica;
    for (let i = 0; i < 2; i++) {
      const [again, ms] = await restart(redisServer, target, restarted);
      servers.push(again);
      restarted = again;
      restartMs.push(ms);
    }
    return {
      keys,
      fullSyncMs,
      promotionWaitMs: writes.longestWaitMs,
      pauseToWritableMs: promotion.writableMs,
      promotionSteps: promotion.steps,
      promotionBeganAt: promotion.beganAt,
      ...(writes.longest && { promotionLongest: writes.longest }),
      benchLagMaxMs: lag.max / 1e6,
      promotionWrites: writes.acknowledged.length,
      promotionLost: lost.length,
      restartMs,
    };
  } finally {
    await Promise.allSettled(servers.map(stopServer));
  }
}
