import { createHash, randomUUID } from 'node:crypto';
import { rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { routes } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';

const ARTIFACTS = routes.localArtifacts;
const INVENTORY = routes.localInventory;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe(`GET ${INVENTORY} (agent, modfleet's own route)`, () => {
  let cluster: TestCluster;
  let zip: Buffer;
  beforeEach(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    await cluster.agents[0]!.registered;
    zip = await buildArtifactZip({ manifest: { module_name: 'InvMod', version: 3, semantic_version: '0.0.3' } });
    const res = await api(url(ARTIFACTS), { method: 'POST', credentials: ADMIN, form: artifactForm(zip) });
    expect(res.status).toBe(200);
  });
  afterEach(async () => {
    await cluster.stop();
  });

  const url = (path: string) => `${cluster.agents[0]!.url}${path}`;
  const zipFile = () => join(cluster.agentConfigs[0]!.dataDir, 'artifacts', 'InvMod@3', 'module.zip');

  it('lists sha256, size and install time per artifact and the node uid, while the RS list keeps its RS shape', async () => {
    const res = await api<Record<string, unknown>>(url(INVENTORY), { credentials: ADMIN });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      node_uid: 1,
      deep: false,
      checked_at: expect.any(String) as string,
      artifacts: [
        {
          module_name: 'InvMod',
          version: 3,
          dependencies: ['dep_1', 'dep_2'],
          semantic_version: '0.0.3',
          sha256: sha256(zip),
          size: zip.length,
          installed_at: expect.any(String) as string,
          // The node's own check of the module it installed (a stand-in .so here).
          load_check: expect.objectContaining({
            status: expect.stringMatching(/^(failed|skipped)$/) as string,
          }) as object,
        },
      ],
    });
    const rs = await api(url(ARTIFACTS), { credentials: ADMIN });
    expect(rs.body).toEqual([{ module_name: 'InvMod', version: 3, dependencies: ['dep_1', 'dep_2'] }]);
  });

  it('needs view_cluster_modules: 401 without credentials, 200 for a db_viewer', async () => {
    const none = await api(url(INVENTORY));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);

    const viewer: Credentials = { email: `viewer-${randomUUID()}@test.local`, password: 'viewer-password-1' };
    await api(`${cluster.coordinator.url}/v1/users`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...viewer, role: 'db_viewer' },
    });
    expect((await api(url(INVENTORY), { credentials: viewer })).status).toBe(200);
  });

  it('answers 400 invalid_parameter with an RS body for deep=yes', async () => {
    const res = await api(url(`${INVENTORY}?deep=yes`), { credentials: ADMIN });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error_code: 'invalid_parameter', description: 'deep must be true or false' });
  });

  it('with deep=true re-hashes each zip: ok when intact, unreadable when the file is gone', async () => {
    const intact = await api<{ artifacts: { disk: unknown }[] }>(url(`${INVENTORY}?deep=true`), { credentials: ADMIN });
    expect(intact.body.artifacts[0]!.disk).toEqual({ status: 'ok', sha256: sha256(zip), size: zip.length });

    await rm(zipFile());
    const gone = await api<{ artifacts: { disk: unknown }[] }>(url(`${INVENTORY}?deep=true`), { credentials: ADMIN });
    expect(gone.body.artifacts[0]!.disk).toEqual({ status: 'unreadable', error: 'ENOENT' });
  });

  it('streams a large file through the hash: other requests are answered meanwhile and memory does not grow by its size', async () => {
    // 768 MiB of zeros where the zip was (sparse: nothing is written to the disk).
    const big = 768 * 1024 * 1024;
    await truncate(zipFile(), big);
    const rssBefore = process.memoryUsage().rss;
    let deepDone = false;
    const deep = api<{ artifacts: { disk: { status: string; size: number } }[] }>(url(`${INVENTORY}?deep=true`), {
      credentials: ADMIN,
    }).then(res => {
      deepDone = true;
      return res;
    });
    await sleep(30);

    const health = await api(url('/healthz'));
    const answeredDuringDeepCheck = !deepDone;
    const res = await deep;

    expect(health.status).toBe(200);
    expect(answeredDuringDeepCheck).toBe(true);
    expect(res.body.artifacts[0]!.disk).toMatchObject({ status: 'corrupt', size: big });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(big / 4);
  });
});
