import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface ThrowawayRedisOptions {
  /** Full path of the redis-server binary (see findRedisServer). */
  redisServer: string;
  /** Parent of the server's temp folder (default: the OS temp dir). */
  workDir?: string | undefined;
  /** The whole session (start, load, queries) is killed after this long. */
  timeoutMs?: number | undefined;
  /** Address-space limit of the server process (ulimit -v), so a module cannot eat the node's memory. */
  memoryBytes?: number | undefined;
  /** More redis-server options after the defaults (e.g. `--enable-debug-command local`). */
  extraArgs?: string[] | undefined;
}

export interface ThrowawayRedis {
  /** Folder private to this server; removed afterwards. */
  readonly dir: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** The server's log so far (the module loader writes its reasons there). */
  log(): Promise<string>;
}

/** The session ran past its deadline and the server was killed. */
export class ThrowawayTimeoutError extends Error {
  override readonly name = 'ThrowawayTimeoutError';
}

export const DEFAULT_CHECK_TIMEOUT_MS = 15_000;
export const DEFAULT_CHECK_MEMORY_BYTES = 1024 * 1024 * 1024;

/**
 * Runs `session` against a private redis-server in its own process: unix socket only
 * (`--port 0`), no persistence, MODULE LOAD allowed, bounded in time and address space. The
 * server is killed and its folder removed whatever happens, so nothing of a module under test
 * ever runs in the caller's process or outlives the call.
 */
export async function withThrowawayRedis<T>(
  options: ThrowawayRedisOptions,
  session: (server: ThrowawayRedis) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const memoryKb = Math.ceil((options.memoryBytes ?? DEFAULT_CHECK_MEMORY_BYTES) / 1024);
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'modfleet-redis-'));
  const socket = join(dir, 'redis.sock');
  const logFile = join(dir, 'redis.log');
  const args = [
    ...['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--logfile', logFile],
    ...['--save', '', '--appendonly', 'no', '--enable-module-command', 'yes', '--daemonize', 'no'],
    ...(options.extraArgs ?? []),
  ];
  // sh applies the limit, then becomes redis-server (exec): one process, one pid to kill.
  const child = spawn('/bin/sh', ['-c', `ulimit -v ${memoryKb} && exec "$0" "$@"`, options.redisServer, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<string>(resolve => {
    child.on('exit', (code, signal) => resolve(`redis-server exited (${signal ?? `code ${code}`})`));
    child.on('error', err => resolve(`redis-server could not start: ${err.message}`));
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new ThrowawayTimeoutError(`did not finish within ${timeoutMs} ms; the redis-server was killed`));
    }, timeoutMs);
  });
  let client: Redis | undefined;
  const server: ThrowawayRedis = {
    dir,
    call: (command, ...rest) => {
      if (!client) throw new Error('redis-server is not connected');
      return client.call(command, ...rest.map(String));
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
  };
  try {
    return await Promise.race([
      deadline,
      (async () => {
        await waitForSocket(socket, child, exited, () => stderr);
        client = await connectWhileAlive(socket, child);
        return session(server);
      })(),
    ]);
  } finally {
    clearTimeout(timer);
    client?.disconnect();
    await killAndWait(child, exited);
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitForSocket(
  socket: string,
  child: ChildProcess,
  exited: Promise<string>,
  stderr: () => string,
): Promise<void> {
  let gone: string | undefined;
  void exited.then(reason => (gone = reason));
  for (;;) {
    if (gone !== undefined || child.exitCode !== null) {
      const detail = stderr().trim();
      throw new Error(`${gone ?? 'redis-server exited'}${detail ? `: ${detail}` : ''}`);
    }
    if (
      await stat(socket).then(
        s => s.isSocket(),
        () => false,
      )
    )
      return;
    await sleep(20);
  }
}

/**
 * The socket file appears when redis-server binds it, a moment before it listens: a connection in
 * between is refused. Try again while the server lives (the session's deadline bounds the wait).
 */
async function connectWhileAlive(socket: string, child: ChildProcess): Promise<Redis> {
  for (;;) {
    const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err) {
      client.disconnect();
      if (child.exitCode !== null || child.signalCode !== null) throw err;
    }
    await sleep(20);
  }
}

async function killAndWait(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
}
