import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a shard may take to answer PING after its start (loading a large AOF included). */
export const SHARD_START_TIMEOUT_MS = 20_000;
const POLL_MS = 10;

/** Where the agent itself reaches a shard bound to `bind`. */
export const probeHostOf = (bind: string) =>
  bind === '0.0.0.0' || bind === '*' ? '127.0.0.1' : bind === '::' ? '::1' : bind;

/**
 * One inline command on a fresh connection, without a client library (the agent probes shards
 * often and briefly): the first reply line, `closed` when the server hung up before one, or
 * undefined when it could not be reached or stayed silent past `timeoutMs`.
 */
export function sendInlineCommand(
  host: string,
  port: number,
  command: string,
  timeoutMs: number,
): Promise<{ reply: string } | { closed: true } | undefined> {
  return new Promise(resolve => {
    const socket = connect({ host, port });
    let answer = '';
    const done = (outcome: { reply: string } | { closed: true } | undefined) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', chunk => {
      answer += chunk.toString('latin1');
      const end = answer.indexOf('\r\n');
      if (end !== -1) done({ reply: answer.slice(0, end) });
    });
    socket.on('close', () => done(answer === '' ? { closed: true } : undefined));
  });
}

/** One PING: true once the server answers PONG (false while it loads, refuses or is gone). */
export async function pingShard(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const outcome = await sendInlineCommand(host, port, 'PING', timeoutMs);
  return outcome !== undefined && 'reply' in outcome && outcome.reply.startsWith('+PONG');
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Lines every redis-server logs at warning level on a normal start or stop: not a reason. */
const NOISE =
  /^(oO0OoO0OoO0Oo|Warning: no config file|WARNING Memory overcommit|WARNING .*somaxconn|Redis version=|Configuration loaded|Server initialized|User requested shutdown|Redis is now ready to exit)/;

/** The warnings redis-server logged (`#` lines) and anything it wrote to stderr: its own words on a failed start. */
export async function startFailureReason(dir: string): Promise<string> {
  const read = (name: string) => readFile(join(dir, name), 'utf8').catch(() => '');
  const [log, stderr] = await Promise.all([read('redis.log'), read('redis.stderr')]);
  const warnings = log
    .split('\n')
    .map(line => /^\d+:[A-Z] .*? # (.*)$/.exec(line)?.[1]?.trim())
    .filter((line): line is string => Boolean(line));
  const said = [
    ...warnings,
    ...stderr
      .split('\n')
      .map(l => l.trim())
      .filter(Boolean),
  ];
  const reason = said.filter(line => !NOISE.test(line)).join('; ');
  if (/Address already in use|Could not create server TCP listening socket/.test(reason))
    return `port_unavailable: ${reason}`;
  return reason || 'redis-server exited without saying why';
}

export interface StartedShard {
  pid: number;
  child: ChildProcess;
  /** Resolves when the process exits (with its exit code or signal). */
  exited: Promise<void>;
}

/**
 * Starts redis-server in its own process group (a Ctrl-C meant for the agent does not reach it,
 * and a SIGKILLed agent leaves it running to be found again), its output in the shard's folder.
 * Resolves once it answers PING; rejects with redis-server's own words when it exits first or
 * stays silent past the timeout (then it is killed).
 */
export async function startShardProcess(options: {
  redisServer: string;
  args: string[];
  dir: string;
  probeHost: string;
  port: number;
  timeoutMs?: number;
}): Promise<StartedShard> {
  const output = openSync(join(options.dir, 'redis.stderr'), 'w');
  let child: ChildProcess;
  try {
    child = spawn(options.redisServer, options.args, { detached: true, stdio: ['ignore', output, output] });
  } finally {
    closeSync(output);
  }
  child.unref();
  let gone = false;
  const exited = new Promise<void>(resolve => {
    child.once('exit', () => {
      gone = true;
      resolve();
    });
    child.once('error', () => {
      gone = true;
      resolve();
    });
  });
  const deadline = Date.now() + (options.timeoutMs ?? SHARD_START_TIMEOUT_MS);
  while (!gone) {
    if (await pingShard(options.probeHost, options.port, 500)) return { pid: child.pid!, child, exited };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(
        `redis-server did not answer within ${Math.round((options.timeoutMs ?? SHARD_START_TIMEOUT_MS) / 1000)} s`,
      );
    }
    await sleep(POLL_MS);
  }
  throw new Error(await startFailureReason(options.dir));
}

/** SIGTERM (redis-server saves and exits), SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopShardProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && !isZombie(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(POLL_MS);
  }
}

/** A child that exited but was not reaped yet still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pid is a live redis-server (a pid file can outlive its process, and pids are reused). */
export function isRedisServerProcess(pid: number): boolean {
  if (!isAlive(pid) || isZombie(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    // No /proc (macOS): the port check that follows decides.
    return true;
  }
}
