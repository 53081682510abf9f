import { mkdir, rm } from 'node:fs/promises';
import { freePort, runProcess, waitUntil, type ModfleetProcess } from './processes.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';
import { answersPing } from './redis-probe.js';

/** A redis-server of a test's own (AOF on, in a temp dir), for tests that stop, restart or wipe it. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly process: ModfleetProcess | undefined;
  /** SIGKILL: no shutdown save, what a crash or a power cut leaves (the AOF, fsynced every second). */
  kill(): Promise<void>;
  /** Starts it again on the same port from what is in its dir; `empty` wipes the dir first (data lost). */
  start(options?: { empty?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await makeTmpDir('modfleet-own-redis');
  const url = `redis://127.0.0.1:${port}`;
  let current: ModfleetProcess | undefined;
  const own: OwnRedis = {
    port,
    url,
    dir,
    get process() {
      return current;
    },
    async kill() {
      await current?.kill();
      current = undefined;
    },
    async start({ empty = false } = {}) {
      if (current?.isRunning()) throw new Error('the own redis-server is already running');
      if (empty) {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
      }
      current = runProcess(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', dir, '--save', ''],
        {},
        `redis-server@${port}`,
      );
      await waitUntil(() => answersPing(port), `redis-server on ${port} answering`, 15_000);
    },
    async stop() {
      await own.kill();
      await removeDir(dir);
    },
  };
  await own.start();
  return own;
}
