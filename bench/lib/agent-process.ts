import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, REPO_ROOT } from '../../test/helpers/processes.js';
import { REDIS_URL } from '../../test/helpers/redis.js';
import { assertLoopback } from './util.js';

export interface AgentProcess {
  /** Plain HTTP, the port benches call by default. */
  url: string;
  /** HTTPS, with a certificate from the agent's own CA (`caFile`). */
  httpsUrl: string;
  caFile: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface AgentProcessOptions {
  prefix: string;
  dataDir: string;
  maxArtifactBytes: number;
  logLevel?: string;
}

/**
 * Runs `modfleet agent` (the built CLI) in its own process on 127.0.0.1 and an ephemeral
 * port, and learns its URL from the `agent listening` log line. Its log is read and dropped.
 */
export async function spawnAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Run the agent as `modfleet agent` runs: plain node, no TypeScript loader inherited from the bench.
  if (env.NODE_OPTIONS?.includes('tsx')) delete env.NODE_OPTIONS;
  for (const name of Object.keys(env)) if (name.startsWith('MODFLEET_')) delete env[name];
  Object.assign(env, {
    REDIS_URL,
    MODFLEET_HOST: '127.0.0.1',
    MODFLEET_PORT: '0',
    // Benches call it over plain HTTP, as before services served HTTPS by default.
    MODFLEET_HTTP_PORT: String(await freePort()),
    MODFLEET_DATA_DIR: options.dataDir,
    MODFLEET_PREFIX: options.prefix,
    MODFLEET_MAX_ARTIFACT_BYTES: String(options.maxArtifactBytes),
    LOG_LEVEL: options.logLevel ?? 'info',
  });
  const child = spawn(process.execPath, [join(REPO_ROOT, 'packages', 'cli', 'bin', 'modfleet.js'), 'agent'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>(done => child.once('exit', code => done(code)));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });

  const urls = await new Promise<{ url: string; httpsUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start within 20 s\n${stderr}`)), 20_000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', line => {
      const entry = parseJson(line);
      if (entry?.msg === 'agent listening' && typeof entry.http_url === 'string' && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve({ url: entry.http_url, httpsUrl: entry.url });
      }
    });
    void exited.then(code => {
      clearTimeout(timer);
      reject(new Error(`agent exited with code ${code} before listening\n${stderr}`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child, exited, 2_000);
    throw err;
  });
  assertLoopback(urls.url);
  assertLoopback(urls.httpsUrl);

  return {
    ...urls,
    // A standalone agent signs its certificate with a CA of its own, kept in its data dir.
    caFile: join(options.dataDir, 'tls', 'ca.pem'),
    pid: child.pid!,
    stop: (graceMs = 10_000) => stopChild(child, exited, graceMs),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM…), in bytes. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Resets VmHWM to the current RSS (`echo 5 > /proc/<pid>/clear_refs`); false where not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssSampling {
  samples: number;
  peakBytes: number;
  stop(): { samples: number; peakBytes: number };
}

/** Samples VmRSS every `intervalMs` until stopped, keeping the peak. */
export function sampleRss(pid: number, intervalMs = 20): RssSampling {
  const sampling = {
    samples: 0,
    peakBytes: 0,
    stop() {
      clearInterval(timer);
      take();
      return { samples: sampling.samples, peakBytes: sampling.peakBytes };
    },
  };
  const take = () => {
    try {
      sampling.peakBytes = Math.max(sampling.peakBytes, procStatusBytes(pid, 'VmRSS'));
      sampling.samples += 1;
    } catch {
      // the process is gone; the peak so far stands
    }
  };
  const timer = setInterval(take, intervalMs);
  take();
  return sampling;
}
