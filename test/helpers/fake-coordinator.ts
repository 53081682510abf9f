import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { createAuthenticator, createLogger, createMetrics } from '@modfleet/common';
import {
  createCoordinatorApp,
  createDispatcher,
  createFleetService,
  createNodeRemoval,
  ensureAdmin,
  type CoordinatorAppDeps,
} from '@modfleet/coordinator';
import {
  createFakeBlobStore,
  createFakeCoordinatorServices,
  createFakeFlowProducer,
  createFakeNodeQueues,
  type FakeCoordinatorServices,
} from '@modfleet/coordinator/testing';
import { ADMIN, CLUSTER_SECRET } from './in-process-cluster.js';
import { afterEach, beforeEach } from 'vitest';
import { makeTmpDir, removeDir } from './tmp-dir.js';

export interface FakeCoordinator {
  /** The app's plain HTTP base URL. */
  url: string;
  /** The stores behind the routes, to arrange or inspect what a test needs besides the routes. */
  services: FakeCoordinatorServices;
  flows: ReturnType<typeof createFakeFlowProducer>;
  /** The blobs pushed (in memory) and the temp folder uploads and fetches are written to. */
  blobs: ReturnType<typeof createFakeBlobStore>;
  stop(): Promise<void>;
}

/**
 * The coordinator's real app (every route, auth, errors) over the fake services: no Redis, no
 * BullMQ, no agents, no TLS. The admin is `ADMIN`, as with `startTestCluster`. For route
 * behaviour; what needs Redis or a real agent stays on `startTestCluster`.
 */
export async function startFakeCoordinator(overrides: Partial<CoordinatorAppDeps> = {}): Promise<FakeCoordinator> {
  const logger = createLogger({ name: 'coordinator', level: 'silent' });
  const tempDir = await makeTmpDir('modfleet-fake-coordinator');
  const services = createFakeCoordinatorServices();
  let bootstrapped = false;
  await ensureAdmin(services.users, ADMIN, logger, {
    isSet: () => Promise.resolve(bootstrapped),
    set: () => Promise.resolve(void (bootstrapped = true)),
  });
  const usedNonces = new Set<string>();
  const flows = createFakeFlowProducer();
  const blobs = createFakeBlobStore(tempDir);
  const queues = createFakeNodeQueues();
  const { actions, nodes, inventory, inflight } = services;
  const fleet = createFleetService({
    inventory,
    nodes,
    artifacts: services.fleetArtifacts,
    blobs,
    actions,
    dispatcher: createDispatcher({ inflight, actions, flows }),
  });
  const app = createCoordinatorApp({
    ...services,
    logger,
    auth: createAuthenticator({ users: services.users }),
    removal: createNodeRemoval({ queues, nodes, actions, logger }),
    fleet,
    blobs,
    clusterSecret: CLUSTER_SECRET,
    coordinatorNames: [],
    claimNonce: nonce => Promise.resolve(!usedNonces.has(nonce) && Boolean(usedNonces.add(nonce))),
    allowHttpNodes: true,
    maxArtifactBytes: 1024 ** 3,
    healthy: () => Promise.resolve(true),
    queues,
    metrics: createMetrics('coordinator'),
    metricsOpen: false,
    ...overrides,
  });
  const server = createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    flows,
    blobs,
    async stop() {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
      await removeDir(tempDir);
    },
  };
}

/** A fresh fake coordinator for each test of the calling `describe`, as `clusterPerTest` does with real ones. */
export function fakeCoordinatorPerTest(): () => FakeCoordinator {
  let current: FakeCoordinator | undefined;
  beforeEach(async () => {
    current = await startFakeCoordinator();
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return () => {
    if (!current)
      throw new Error('no coordinator: fakeCoordinatorPerTest() serves the tests of the describe that called it');
    return current;
  };
}
