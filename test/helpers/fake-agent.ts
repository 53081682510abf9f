import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { createAuthenticator, createLogger, createMetrics, type Role } from '@modfleet/common';
import { createAgentApp, openDiskArtifactStore, type AgentServices } from '@modfleet/agent';
import { createFakeAgentServices } from '@modfleet/agent/testing';
import type { Credentials } from './http.js';
import { ADMIN } from './in-process-cluster.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

export interface FakeAgent {
  /** The app's plain HTTP base URL. */
  url: string;
  /** The stores behind the routes, to arrange or inspect what a test needs besides the routes. */
  services: AgentServices;
  /** A user of `role` in the fake CCS, created on the spot. */
  userWith(role: Role): Promise<Credentials>;
  stop(): Promise<void>;
}

/**
 * The agent's real app (local artifact routes, inventory, auth, RS errors) over the fake services
 * and an artifact store on a temp folder: no Redis, no coordinator, no load check, no TLS. The
 * admin is `ADMIN`. Forwarding, relaying and real uploads' checks stay on the integration tier.
 */
export async function startFakeAgent(): Promise<FakeAgent> {
  const logger = createLogger({ name: 'agent', level: 'silent' });
  const dataDir = await makeTmpDir('modfleet-fake-agent');
  const services = createFakeAgentServices();
  await services.users.create({ ...ADMIN, role: 'admin' });
  const store = await openDiskArtifactStore(dataDir, logger);
  const app = createAgentApp({
    logger,
    auth: createAuthenticator({ users: services.users }),
    settings: services.settings,
    store,
    maxArtifactBytes: 64 * 1024 * 1024,
    healthy: () => Promise.resolve(true),
    metrics: createMetrics('agent'),
  });
  const server = createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let users = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    async userWith(role) {
      const credentials = { email: `${role}-${(users += 1)}@agent.test`, password: `${role}-password-1` };
      await services.users.create({ ...credentials, role });
      return credentials;
    },
    async stop() {
      await new Promise<void>(resolve => server.close(() => resolve()));
      await removeDir(dataDir);
    },
  };
}
