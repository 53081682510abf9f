import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type NodeView } from '@modfleet/common';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { createFleetClient } from '../helpers/fleet-client.js';
import { FLEET_ADMIN, FLEET_SECRET, type LocalListing } from '../helpers/fleet-types.js';
import { pollFor } from '../helpers/poll.js';
import {
  freePort,
  killAllProcesses,
  runModfleet,
  runToExit,
  startService,
  type ModfleetProcess,
  type Service,
} from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import { fastTimingsEnv } from '../helpers/timings.js';
import { httpsGet } from '../helpers/tls.js';

const NODES = 20;

describe(`modfleet simulate: ${NODES} simulated nodes in one process (two threads) against a real coordinator`, () => {
  const prefix = uniquePrefix('simulate');
  // 100 ms heartbeats: the stopped nodes are down within about 1.5 s instead of 5.
  const shared = { REDIS_URL, MODFLEET_PREFIX: prefix, MODFLEET_CLUSTER_SECRET: FLEET_SECRET, ...fastTimingsEnv() };
  const dirs: string[] = [];
  let coordinator: Service;
  let simulation: ModfleetProcess;
  let nodes: NodeView[];
  let simDir: string;
  /** The cluster CA the coordinator created: simulated nodes serve HTTPS with certificates it signed. */
  let caFile: string;
  let ca: string;

  beforeAll(async () => {
    const coordinatorDir = await makeTmpDir('modfleet-sim-coordinator');
    caFile = join(coordinatorDir, 'tls', 'ca.pem');
    simDir = await makeTmpDir('modfleet-sim-nodes');
    dirs.push(coordinatorDir, simDir);
    coordinator = await startService('coordinator', await freePort(), {
      ...shared,
      MODFLEET_DATA_DIR: coordinatorDir,
      MODFLEET_ADMIN_EMAIL: FLEET_ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: FLEET_ADMIN.password,
    });
    simulation = runModfleet(
      [
        'simulate',
        '--nodes',
        String(NODES),
        '--threads',
        '2',
        '--port',
        '0',
        '--data-dir',
        simDir,
        '--coordinator-url',
        coordinator.url,
      ],
      { ...shared, LOG_LEVEL: 'info' },
    );
    const client = createFleetClient(coordinator.url, () => []);
    nodes = await pollFor(
      async () => {
        if (!simulation.isRunning()) throw new Error(`simulate exited:\n${simulation.output()}`);
        return client.nodes();
      },
      all => all.length === NODES && all.every(node => node.status === 'active'),
      `${NODES} simulated nodes active`,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    ca = await readFile(caFile, 'utf8');
  }, 90_000);

  afterAll(async () => {
    await simulation?.stop('SIGTERM', 30_000).catch(() => undefined);
    await coordinator?.stop('SIGTERM', 15_000).catch(() => undefined);
    await killAllProcesses();
    await deletePrefix(prefix);
    for (const dir of dirs) await removeDir(dir);
  });

  it('registers every simulated node with its own uid and an address that reaches its own routes', async () => {
    expect(new Set(nodes.map(node => node.uid)).size).toBe(NODES);
    expect(new Set(nodes.map(node => node.addr)).size).toBe(NODES);
    for (const node of nodes) {
      const health = await httpsGet(`${node.url}${routes.healthz}`, { ca });
      expect(health.status).toBe(200);
    }
  });

  it('takes a push on every node, each into its own store, and modfleet verify is clean', async () => {
    const client = createFleetClient(coordinator.url, () => nodes.map(node => node.uid));
    const zip = await buildArtifactZip({ manifest: { module_name: 'SimMod', version: 1 } });
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const pushed = await client.push(zip);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const action = await client.waitForAction(pushed.body.action_uid!, { timeoutMs: 90_000 });
    expect(action.status, JSON.stringify(action)).toBe('completed');

    for (const node of nodes) {
      const listing = await httpsGet<LocalListing[]>(`${node.url}${routes.localArtifacts}`, {
        ca,
        credentials: FLEET_ADMIN,
      });
      expect(listing.status).toBe(200);
      expect(listing.body.map(artifact => [artifact.module_name, artifact.version])).toEqual([['SimMod', 1]]);
    }
    for (let index = 0; index < NODES; index += 1) {
      const stored = await readFile(join(simDir, `node-${index}`, 'artifacts', 'SimMod@1', 'module.zip'));
      expect(createHash('sha256').update(stored).digest('hex')).toBe(sha256);
    }

    const verify = await runToExit(
      ['verify', '--allow-http-nodes', '-o', 'json'],
      {
        MODFLEET_URL: coordinator.url,
        MODFLEET_USER: FLEET_ADMIN.email,
        MODFLEET_PASSWORD: FLEET_ADMIN.password,
        MODFLEET_CA: caFile,
      },
      60_000,
    );
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout) as { clean: boolean; nodes: { uid: number; verdict: string }[] };
    expect(report.clean).toBe(true);
    expect(report.nodes.map(node => node.verdict)).toEqual(Array(NODES).fill('ok'));
  }, 150_000);

  it('stops every simulated node on SIGTERM: they all go down and the process exits 0', async () => {
    const exit = await simulation.stop('SIGTERM', 30_000);
    expect(exit.code).toBe(0);
    const client = createFleetClient(coordinator.url, () => []);
    await pollFor(
      () => client.nodes(),
      all => all.every(node => node.status === 'down'),
      'every simulated node down after the process stopped',
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  }, 60_000);
});
