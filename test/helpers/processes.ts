import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { routes } from '@modfleet/common';

/** The `modfleet` bin, run with this very node: what `npx modfleet` runs (it needs `tsc -b` first). */
export const MODFLEET_BIN = fileURLToPath(new URL('../../packages/cli/bin/modfleet.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type Env = Record<string, string | undefined>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Variables a developer may have exported that would leak into the services under test:
 * each spawn starts from the runner's environment without them, then adds what the test sets.
 */
const CONFIG_VARIABLE = /^(REDIS_URL|LOG_LEVEL|MODFLEET_.*)$/;

function childEnv(env: Env): NodeJS.ProcessEnv {
  // The suite's clusters call their agents over plain HTTP; a test of the https-only default unsets this.
  const base: NodeJS.ProcessEnv = { MODFLEET_ALLOW_HTTP_NODES: 'true' };
  for (const [name, value] of Object.entries(process.env)) {
    if (!CONFIG_VARIABLE.test(name)) base[name] = value;
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

export interface ModfleetProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  /** stdout then stderr, for failure messages and secret searches. */
  output(): string;
  /** stdout lines that parse as JSON objects (pino log records). */
  logRecords(): Record<string, unknown>[];
  /** Waits until stdout+stderr match `pattern`; throws with the captured output on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and waits for the exit; SIGKILLs after `timeoutMs` and throws if it had to. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** SIGKILL to the whole process group (the process and anything it spawned), then wait for the exit. */
  kill(): Promise<Exit>;
  isRunning(): boolean;
}

const live = new Set<ModfleetProcess>();

/**
 * Spawns `node packages/cli/bin/modfleet.js <args>` in its own process group, capturing
 * stdout and stderr in memory. Every process is tracked until it exits, so `killAllProcesses`
 * in afterEach can clean up after a failed test.
 */
export function runModfleet(args: string[], env: Env = {}, name = args[0] ?? 'modfleet'): ModfleetProcess {
  return runProcess(process.execPath, [MODFLEET_BIN, ...args], env, name);
}

/** Any program run as `runModfleet` runs the CLI: in the repository root, its own process group, output captured. */
export function runProcess(command: string, args: string[], env: Env, name: string): ModfleetProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own group: a test can kill it together with whatever it spawned (`modfleet up`'s children).
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${command} ${args.join(' ')}`);
  const pid = child.pid;
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));

  // 'close' (not 'exit'): every byte of stdout/stderr has been read by then.
  const exited = new Promise<Exit>(resolve => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: child.exitCode, signal: child.signalCode }));
  });

  const handle: ModfleetProcess = {
    name,
    child,
    pid,
    exited,
    stdout: () => out,
    stderr: () => err,
    output: () => `${out}${err}`,
    logRecords() {
      const records: Record<string, unknown>[] = [];
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          records.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a line still being written
        }
      }
      return records;
    },
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = handle.output().match(pattern);
        if (match) return match;
        if (!handle.isRunning() || Date.now() > deadline) {
          throw new Error(
            `${name}: ${pattern} not seen ${handle.isRunning() ? `within ${timeoutMs} ms` : 'before it exited'}; output:\n${handle.output()}`,
          );
        }
        await sleep(25);
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (!handle.isRunning()) return exited;
      child.kill(signal);
      const timer = setTimeout(() => killGroup(pid), timeoutMs);
      const exit = await exited;
      clearTimeout(timer);
      if (exit.signal === 'SIGKILL' && signal !== 'SIGKILL') {
        throw new Error(`${name} did not exit within ${timeoutMs} ms of ${signal}; output:\n${handle.output()}`);
      }
      return exit;
    },
    async kill() {
      killGroup(pid);
      return exited;
    },
    isRunning: () => child.exitCode === null && child.signalCode === null,
  };
  live.add(handle);
  void exited.then(() => {
    // The leader is gone; children it left behind (a bug under test) still go in killAllProcesses.
    if (!groupAlive(pid)) live.delete(handle);
  });
  return handle;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** Whether any process is left in the group led by `pgid` (the group of a detached spawn). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** afterEach: SIGKILL every process group a test started that is still around, and wait for the leaders. */
export async function killAllProcesses(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(
    all.map(async handle => {
      killGroup(handle.pid);
      await handle.exited;
    }),
  );
}

/** Runs a command that is expected to end by itself (bad config, --help) and returns what it printed. */
export async function runToExit(
  args: string[],
  env: Env = {},
  timeoutMs = 15_000,
): Promise<Exit & { stdout: string; stderr: string; pid: number }> {
  const handle = runModfleet(args, env);
  const timer = setTimeout(() => killGroup(handle.pid), timeoutMs);
  const exit = await handle.exited;
  clearTimeout(timer);
  if (exit.signal === 'SIGKILL') {
    throw new Error(`modfleet ${args.join(' ')} did not exit within ${timeoutMs} ms; output:\n${handle.output()}`);
  }
  return { ...exit, stdout: handle.stdout(), stderr: handle.stderr(), pid: handle.pid };
}

export interface Service extends ModfleetProcess {
  port: number;
  url: string;
}

/**
 * The variables that put a service's plain HTTP on `port`, the port the suite calls it on, and its
 * HTTPS (the default, generated certificates) on a free port beside it: test/e2e/tls.test.ts and test/soak/tls-lifecycle.test.ts cover that side.
 */
export async function servicePorts(port: number): Promise<Env> {
  return { MODFLEET_HTTP_PORT: String(port), MODFLEET_PORT: String(await freePort()) };
}

/** Starts `modfleet coordinator|agent` with plain HTTP on `port` and waits until GET /healthz answers 200. */
export async function startService(
  command: 'coordinator' | 'agent',
  port: number,
  env: Env,
  timeoutMs = 20_000,
): Promise<Service> {
  const handle = runModfleet([command], { LOG_LEVEL: 'info', ...env, ...(await servicePorts(port)) }, command);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, handle, timeoutMs);
  return Object.assign(handle, { port, url });
}

export async function waitHealthy(url: string, handle: ModfleetProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!handle.isRunning()) {
      const exit = await handle.exited;
      throw new Error(
        `${handle.name} exited (${exit.signal ?? `code ${exit.code}`}) while starting:\n${handle.output()}`,
      );
    }
    try {
      const res = await fetch(`${url}${routes.healthz}`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${handle.name} not healthy at ${url} within ${timeoutMs} ms:\n${handle.output()}`);
}

/**
 * Ports are picked below Linux's ephemeral range (32768-60999): a port picked there could be
 * taken by any outgoing connection (to Redis, say) before the service under test binds it.
 */
const PORTS_BELOW_EPHEMERAL = { low: 20_000, high: 32_000 } as const;

/**
 * Test files run in parallel workers, each starting services seconds after it picked their ports:
 * two workers picking from one range could both see a port free before either binds it (seen in
 * CI as EADDRINUSE). Each worker (VITEST_POOL_ID, 1..maxWorkers) picks from its own slice.
 */
const PORT_SLICES = 8;
const PORT_RANGE = (() => {
  const size = Math.floor((PORTS_BELOW_EPHEMERAL.high - PORTS_BELOW_EPHEMERAL.low) / PORT_SLICES);
  const slice = (Number(process.env.VITEST_POOL_ID ?? 1) - 1) % PORT_SLICES;
  const low = PORTS_BELOW_EPHEMERAL.low + Math.max(0, slice) * size;
  return { low, high: low + size };
})();

/** Ports this process handed out: not handed out again while a service may still be about to bind one. */
const handedOut = new Set<number>();

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise(resolve => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive ports nothing listens on right now: P, P+1, … (what `modfleet up --port P` needs). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const base = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low - count));
    let free = true;
    for (let port = base; port < base + count && free; port += 1)
      free = !handedOut.has(port) && (await canListen(port));
    if (free) {
      for (let port = base; port < base + count; port += 1) handedOut.add(port);
      return base;
    }
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** One port nothing listens on right now. */
export function freePort(): Promise<number> {
  return freePortRange(1);
}

/** Whether a TCP connection to host:port is refused (nothing listens). */
export async function portClosed(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** Polls `check` until it returns true; throws `message` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  message: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await sleep(25);
  }
}
