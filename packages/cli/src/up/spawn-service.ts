import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { routes, type HealthAnswer } from '@modfleet/common';

const BIN = fileURLToPath(new URL('../../bin/modfleet.js', import.meta.url));

export interface ServiceProcess {
  name: string;
  url: string;
  logFile: string;
  child: ChildProcess;
}

/** Starts `modfleet <command>` as its own process, its JSON log written to `logFile`. */
export async function spawnService(
  name: string,
  command: 'coordinator' | 'agent',
  env: NodeJS.ProcessEnv,
  url: string,
  logFile: string,
): Promise<ServiceProcess> {
  const log = createWriteStream(logFile, { flags: 'a' });
  await once(log, 'open');
  const child = spawn(process.execPath, [BIN, command], { env, stdio: ['ignore', log, log] });
  return { name, url, logFile, child };
}

/**
 * Waits until this very child answers /healthz (its pid in the answer, so another program that
 * holds the port cannot pass for it), failing as soon as the child exits.
 */
export async function waitHealthy(service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const died = () =>
    new Error(
      `${service.name} exited with code ${service.child.exitCode ?? service.child.signalCode} while starting; see ${service.logFile}`,
    );
  const hasExited = () => service.child.exitCode !== null || service.child.signalCode !== null;
  const exited = hasExited()
    ? Promise.reject(died())
    : once(service.child, 'exit').then(() => {
        throw died();
      });
  exited.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) throw died();
    const answer = await Promise.race([probe(service.url), exited]);
    if (answer === service.child.pid) return;
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} did not become healthy within ${timeoutMs / 1000}s; see ${service.logFile}`);
}

/** The pid that answered a healthy /healthz, or undefined. */
async function probe(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}${routes.healthz}`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return undefined;
    const { pid } = (await res.json()) as Partial<HealthAnswer>;
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
