/**
 * A coordinator and an agent as real processes on HTTPS, each test with a fresh Redis prefix and
 * data dir: test/e2e/tls.test.ts (the smoke) and test/soak/tls-lifecycle.test.ts (restarts, plain
 * HTTP, a foreign CA). Call inside a describe: it adds the hooks there.
 */
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { FLEET_ADMIN, FLEET_SECRET } from './fleet-types.js';
import { killAllProcesses, runModfleet, type Env, type ModfleetProcess } from './processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './redis.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

export interface TlsProcesses {
  /** The test's own tmp dir (the services' data dirs are inside it). */
  dir: () => string;
  coordinatorDir: () => string;
  agentDir: () => string;
  caFile: () => string;
  startCoordinator: (port: number, env?: Env) => Promise<ModfleetProcess>;
  startAgent: (port: number, coordinatorPort: number, env?: Env) => ModfleetProcess;
}

export function tlsProcessesPerTest(): TlsProcesses {
  let prefix: string;
  let dir: string;
  let shared: Env;

  beforeEach(async () => {
    prefix = uniquePrefix('tls');
    dir = await makeTmpDir('modfleet-tls');
    shared = { REDIS_URL, MODFLEET_PREFIX: prefix, MODFLEET_CLUSTER_SECRET: FLEET_SECRET, LOG_LEVEL: 'info' };
  });
  afterEach(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dir);
  });

  const coordinatorDir = () => join(dir, 'coordinator');
  const agentDir = () => join(dir, 'agent');
  const caFile = () => join(coordinatorDir(), 'tls', 'ca.pem');

  async function startCoordinator(port: number, env: Env = {}): Promise<ModfleetProcess> {
    const coordinator = runModfleet(['coordinator'], {
      ...shared,
      MODFLEET_PORT: String(port),
      MODFLEET_DATA_DIR: coordinatorDir(),
      MODFLEET_ADMIN_EMAIL: FLEET_ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: FLEET_ADMIN.password,
      ...env,
    });
    await coordinator.waitForOutput(/coordinator listening/, 20_000);
    return coordinator;
  }

  function startAgent(port: number, coordinatorPort: number, env: Env = {}): ModfleetProcess {
    return runModfleet(['agent'], {
      ...shared,
      MODFLEET_PORT: String(port),
      MODFLEET_DATA_DIR: agentDir(),
      MODFLEET_COORDINATOR_URL: `https://127.0.0.1:${coordinatorPort}`,
      ...env,
    });
  }

  return { dir: () => dir, coordinatorDir, agentDir, caFile, startCoordinator, startAgent };
}
