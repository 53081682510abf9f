import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

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
  const service = { name, url, logFile, child };
  await waitHealthy(service);
  return service;
}

async function waitHealthy(service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `${service.name} exited with code ${service.child.exitCode} while starting; see ${service.logFile}`,
      );
    }
    try {
      const res = await fetch(`${service.url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} did not become healthy within ${timeoutMs / 1000}s; see ${service.logFile}`);
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
