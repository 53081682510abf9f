import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { routes, type HealthAnswer } from '@modfleet/common/contract';
import { Agent, request } from 'undici';

const BIN = fileURLToPath(new URL('../../bin/modfleet.js', import.meta.url));

export interface ServiceProcess {
  name: string;
  /** HTTPS base URL. */
  url: string;
  /** Plain HTTP base URL, when on. */
  httpUrl: string | undefined;
  /** The cluster CA its certificate is checked against. */
  caFile: string;
  logFile: string;
  /** The running process; replaced by `respawn`. */
  child: ChildProcess;
  /** Starts the same command with the same environment again and waits until it is healthy. */
  respawn(): Promise<void>;
  /** Why the last process exited, when its log says something a person can act on. */
  explainExit(): Promise<string | undefined>;
}

/** Starts `modfleet <command>` as its own process, its JSON log written to `logFile`. */
export async function spawnService(
  name: string,
  command: 'coordinator' | 'agent',
  env: NodeJS.ProcessEnv,
  where: { url: string; httpUrl: string | undefined; caFile: string },
  logFile: string,
): Promise<ServiceProcess> {
  const { url } = where;
  const start = async () => {
    const log = createWriteStream(logFile, { flags: 'a' });
    await once(log, 'open');
    const child = spawn(process.execPath, [BIN, command], { env, stdio: ['ignore', log, log] });
    // The child holds its own copy of the descriptor.
    log.close();
    return child;
  };
  const service: ServiceProcess = {
    name,
    ...where,
    logFile,
    child: await start(),
    async respawn() {
      service.child = await start();
      await waitHealthy(service);
    },
    explainExit: () => explainFromLog(logFile, url),
  };
  return service;
}

/** The end of a service's log names the cause a person can fix: a port another program holds. */
async function explainFromLog(logFile: string, url: string): Promise<string | undefined> {
  const file = await open(logFile, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, 8192);
    const { buffer } = await file.read(Buffer.alloc(length), 0, length, size - length);
    const tail = buffer.toString('utf8');
    if (tail.includes('EADDRINUSE')) return `port ${new URL(url).port} is already in use by another program`;
    if (tail.includes('EACCES')) return `not allowed to listen on port ${new URL(url).port}`;
    return undefined;
  } finally {
    await file.close();
  }
}

/**
 * Waits until this very child answers /healthz (its pid in the answer, so another program that
 * holds the port cannot pass for it), failing as soon as the child exits.
 */
export async function waitHealthy(service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  let reason: string | undefined;
  const died = () =>
    new Error(
      `${service.name} exited with code ${service.child.exitCode ?? service.child.signalCode} while starting${reason ? ` (${reason})` : ''}; see ${service.logFile}`,
    );
  const hasExited = () => service.child.exitCode !== null || service.child.signalCode !== null;
  const failure = async (): Promise<never> => {
    reason = await service.explainExit().catch(() => undefined);
    throw died();
  };
  const exited = hasExited() ? failure() : once(service.child, 'exit').then(failure);
  exited.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  // Healthy over HTTPS verified with the cluster CA: an agent passes once the CA has signed its certificate.
  const dispatcher = new Agent({ connect: { ca: await readFile(service.caFile, 'utf8') } });
  try {
    while (Date.now() < deadline) {
      if (hasExited()) await exited;
      const answer = await Promise.race([probe(service.url, dispatcher), exited]);
      if (answer === service.child.pid) return;
      await sleep(100);
    }
  } finally {
    await dispatcher.close();
  }
  throw new Error(`${service.name} did not become healthy within ${timeoutMs / 1000}s; see ${service.logFile}`);
}

/** The pid that answered a healthy /healthz, or undefined. */
async function probe(url: string, dispatcher: Agent): Promise<number | undefined> {
  try {
    const res = await request(`${url}${routes.healthz}`, { dispatcher, signal: AbortSignal.timeout(1000) });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return undefined;
    }
    const { pid } = (await res.body.json()) as Partial<HealthAnswer>;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopService(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
