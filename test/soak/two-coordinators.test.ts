/**
 * Two coordinators on one Redis prefix serve one cluster: either answers every route, housekeeping
 * runs once across them, agents given both URLs fail over (for their own calls and for the cluster
 * requests they pass on), and a push one of them accepted completes on every node when that one is
 * SIGKILLed right after its 202.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRedisActionStore,
  pathTo,
  redisKeys,
  routes,
  SIGNATURE_HEADER,
  signRequest,
  type ActionObject,
  type NodeView,
} from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import { pollFor } from '../helpers/poll.js';
import { freePort, killAllProcesses, runToExit, startService, type Service } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix, withRedis } from '../helpers/redis.js';
import { FAST_TIMINGS } from '../helpers/timings.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const ADMIN: Credentials = { email: 'admin@ha.local', password: 'ha-admin-password-1' };
const SECRET = 'ha-e2e-cluster-secret-0123456789';
const ORPHAN_SWEPT = 'closed an action nothing else would close';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('two coordinators on one Redis prefix (real processes)', () => {
  let prefix: string;
  let dir: string;
  let a: Service;
  let b: Service;
  let agents: Service[];
  const agentEnvs: Record<string, string>[] = [];
  const orphanUid = 'orphan-action-0001';

  const startCoordinator = async (name: string) =>
    startService('coordinator', await freePort(), {
      REDIS_URL,
      MODFLEET_PREFIX: prefix,
      MODFLEET_CLUSTER_SECRET: SECRET,
      MODFLEET_DATA_DIR: join(dir, name),
      MODFLEET_ADMIN_EMAIL: ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: ADMIN.password,
      // Presence refreshed every 0.5 s instead of 5: each finds the other as a peer at once.
      MODFLEET_TEST_TIMINGS: JSON.stringify({
        presenceRefreshMs: FAST_TIMINGS.presenceRefreshMs,
        presenceTtlMs: FAST_TIMINGS.presenceTtlMs,
      }),
    });
  const action = async (base: string, uid: string) =>
    (await api<ActionObject>(`${base}${pathTo(routes.action, { uid })}`, { credentials: ADMIN })).body;
  const finished = (base: string, uid: string) =>
    pollFor(
      () => action(base, uid),
      found => found.status === 'completed' || found.status === 'failed',
      `action ${uid} finished`,
      { timeoutMs: 45_000, intervalMs: 200 },
    );
  const push = (base: string, zip: Buffer) =>
    api<{ action_uid: string }>(`${base}${routes.fleetArtifacts}`, {
      method: 'POST',
      credentials: ADMIN,
      form: artifactForm(zip),
    });
  const activeNodes = (base: string) =>
    pollFor(
      async () => (await api<NodeView[]>(`${base}${routes.nodes}`, { credentials: ADMIN })).body,
      nodes => Array.isArray(nodes) && nodes.length === 2 && nodes.every(node => node.status === 'active'),
      `two active nodes on ${base}`,
      { timeoutMs: 30_000, intervalMs: 100 },
    );

  beforeAll(async () => {
    prefix = uniquePrefix('ha');
    dir = await makeTmpDir('modfleet-two-coordinators');
    // An action whose coordinator died before queueing it: the sweep must close it, once.
    await withRedis(redis =>
      createRedisActionStore(redis, redisKeys(prefix)).create(
        {
          action_uid: orphanUid,
          name: 'install_module_artifact',
          creation_time: Math.floor(Date.now() / 1000) - 600,
          description: 'left behind by a crash',
          object_type: 'module_artifact',
          object_uid: 'Left@1',
        },
        [
          {
            key: '1-0',
            node_uid: 1,
            op: 'install',
            module_name: 'Left',
            version: 1,
            status: 'queued',
            progress: 0,
            attempts: 0,
            error: null,
          },
        ],
      ),
    );
    [a, b] = await Promise.all([startCoordinator('a'), startCoordinator('b')]);
    const off = await api(`${a.url}${routes.cluster}`, {
      method: 'PUT',
      credentials: ADMIN,
      json: { module_load_check: 'off' },
    });
    expect(off.status).toBe(200);
    // Node 1 prefers A, node 2 prefers B.
    for (const [node, urls] of [
      [1, `${a.url},${b.url}`],
      [2, `${b.url},${a.url}`],
    ] as const) {
      agentEnvs[node - 1] = {
        REDIS_URL,
        MODFLEET_PREFIX: prefix,
        MODFLEET_CLUSTER_SECRET: SECRET,
        MODFLEET_DATA_DIR: join(dir, `node-${node}`),
        MODFLEET_NODE_ID: String(node),
        MODFLEET_COORDINATOR_URL: urls,
      };
    }
    agents = await Promise.all(agentEnvs.map(async env => startService('agent', await freePort(), env)));
    await activeNodes(b.url);
  }, 90_000);

  afterAll(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dir);
  });

  it('answers every route on either coordinator from the one shared state', async () => {
    const created = await api<{ uid: number }>(`${a.url}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { email: 'viewer@ha.local', password: 'viewer-password-1', role: 'cluster_viewer' },
    });
    expect(created.status).toBe(200);
    const viewer = { email: 'viewer@ha.local', password: 'viewer-password-1' };
    expect((await api(`${b.url}${routes.nodes}`, { credentials: viewer })).status).toBe(200);

    const zip = await buildArtifactZip({ manifest: { module_name: 'Either', version: 1 } });
    const accepted = await push(b.url, zip);
    expect(accepted.status).toBe(202);
    expect((await finished(a.url, accepted.body.action_uid)).status).toBe('completed');
    const fleetOnA = await api<{ module_name: string; sha256: string }[]>(`${a.url}${routes.fleetArtifacts}`, {
      credentials: ADMIN,
    });
    expect(fleetOnA.body.map(artifact => [artifact.module_name, artifact.sha256])).toEqual([['Either', sha256(zip)]]);
    // The status page is the same static shell on both; its data comes from these same routes.
    const page = await fetch(`${a.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<!doctype');
  });

  it('runs the orphan sweep once across both coordinators', async () => {
    const closed = await finished(b.url, orphanUid);
    expect(closed.status).toBe('failed');
    const sweeps = [a, b].flatMap(coordinator => coordinator.logRecords().filter(line => line.msg === ORPHAN_SWEPT));
    expect(sweeps).toHaveLength(1);
  });

  it('completes a push on every node when the coordinator that accepted it is SIGKILLed right after its 202', async () => {
    // A must already know B as a peer (presence refreshes every 0.5 s here).
    await a.waitForOutput(/together with/, 15_000);
    const zip = await buildArtifactZip({
      manifest: { module_name: 'Survivor', version: 1 },
      so: Buffer.alloc(512 * 1024, 7),
    });
    // Paused agents cannot fetch anything from A before it dies: every byte must come from B.
    for (const agent of agents) agent.child.kill('SIGSTOP');
    const accepted = await push(a.url, zip);
    expect(accepted.status).toBe(202);
    await a.kill();
    for (const agent of agents) agent.child.kill('SIGCONT');

    const done = await finished(b.url, accepted.body.action_uid);
    expect(done.status, JSON.stringify(done.additional_info.pending_ops)).toBe('completed');
    expect(Object.keys(done.additional_info.pending_ops).sort()).toEqual(['1', '2']);
    expect((await stat(join(dir, 'b', 'blobs', `${sha256(zip)}.zip`))).size).toBe(zip.length);

    // Node 1 listed A first: restarted now, it registers through B.
    await agents[0]!.stop('SIGTERM');
    agents[0] = await startService('agent', agents[0]!.port, agentEnvs[0]!);
    await agents[0].waitForOutput(/rejoined the cluster/, 30_000);
    await activeNodes(b.url);

    // B alone: its push is accepted though the copy to the dead A fails, and completes.
    const alone = await buildArtifactZip({ manifest: { module_name: 'Alone', version: 1 } });
    const acceptedAlone = await push(b.url, alone);
    expect(acceptedAlone.status).toBe(202);
    expect((await finished(b.url, acceptedAlone.body.action_uid)).status).toBe('completed');

    // A comes back without that blob on its disk: the first request for it fetches it from B.
    a = await startService('coordinator', a.port, {
      REDIS_URL,
      MODFLEET_PREFIX: prefix,
      MODFLEET_CLUSTER_SECRET: SECRET,
      MODFLEET_DATA_DIR: join(dir, 'a'),
    });
    const blobPath = pathTo(routes.blob, { sha256: sha256(alone) });
    const pulled = await fetch(`${a.url}${blobPath}`, {
      headers: { [SIGNATURE_HEADER]: signRequest(SECRET, 'GET', blobPath) },
    });
    expect(pulled.status).toBe(200);
    expect(sha256(Buffer.from(await pulled.arrayBuffer()))).toBe(sha256(alone));

    const verify = await runToExit(
      ['verify', '--allow-http-nodes'],
      { MODFLEET_URL: b.url, MODFLEET_USER: ADMIN.email, MODFLEET_PASSWORD: ADMIN.password },
      30_000,
    );
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0);
  });

  it('passes cluster requests through a node to the other coordinator once the one it used is SIGKILLed', async () => {
    // Both nodes last reached B: node 1 registered through it while A was down, node 2 lists it first.
    await b.kill();
    const triedB = (agent: Service) =>
      agent.logRecords().filter(line => line.msg === 'coordinator did not answer' && line.coordinator === b.url).length;

    // A push through node 2: B refuses the connection before a byte of the body moved, so A gets all of it.
    const zip = await buildArtifactZip({
      manifest: { module_name: 'ViaNode', version: 1 },
      so: Buffer.alloc(256 * 1024, 9),
    });
    let started = Date.now();
    const accepted = await push(agents[1]!.url, zip);
    const pushMs = Date.now() - started;
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(pushMs).toBeLessThan(15_000);

    // The cluster settings through node 1, answered by A.
    started = Date.now();
    const settings = await api<{ module_load_check: string }>(`${agents[0]!.url}${routes.cluster}`, {
      credentials: ADMIN,
    });
    const readMs = Date.now() - started;
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    expect(settings.body.module_load_check).toBe('off');
    expect(readMs).toBeLessThan(10_000);

    const done = await finished(agents[0]!.url, accepted.body.action_uid);
    expect(done.status, JSON.stringify(done.additional_info.pending_ops)).toBe('completed');
    expect((await stat(join(dir, 'a', 'blobs', `${sha256(zip)}.zip`))).size).toBe(zip.length);
    // Each node tried B once and kept to A afterwards (the action was polled through node 1 all along).
    expect(agents.map(triedB)).toEqual([1, 1]);
    console.info(
      `forwarded through a node after its coordinator's SIGKILL: push ${pushMs} ms, GET /v1/cluster ${readMs} ms`,
    );

    const verify = await runToExit(
      ['verify', '--allow-http-nodes'],
      { MODFLEET_URL: a.url, MODFLEET_USER: ADMIN.email, MODFLEET_PASSWORD: ADMIN.password },
      30_000,
    );
    expect(verify.code, `${verify.stdout}${verify.stderr}`).toBe(0);
  });
});
