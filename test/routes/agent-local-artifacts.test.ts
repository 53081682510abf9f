import { createHash } from 'node:crypto';
import { routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { startFakeAgent, type FakeAgent } from '../helpers/fake-agent.js';
import { api, artifactForm } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { expectRsError } from '../helpers/rs-error.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the agent app over fake services (no Redis)', () => {
  let agent: FakeAgent;
  const artifacts = () => `${agent.url}${routes.localArtifacts}`;

  beforeAll(async () => {
    agent = await startFakeAgent();
  });
  afterAll(() => agent.stop());

  it('answers 401 in RS form without credentials, and with a wrong password', async () => {
    expectRsError(await api(artifacts()), 401);
    expectRsError(await api(artifacts(), { credentials: { ...ADMIN, password: 'not-the-password' } }), 401);
  });

  it('lets a viewer list but not upload, and `none` do neither', async () => {
    const viewer = await agent.userWith('db_viewer');
    const listed = await api(artifacts(), { credentials: viewer });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
    const zip = await buildArtifactZip();
    expectRsError(await api(artifacts(), { method: 'POST', credentials: viewer, form: artifactForm(zip) }), 403);
    expectRsError(await api(artifacts(), { credentials: await agent.userWith('none') }), 403);
    expect((await api(artifacts(), { credentials: ADMIN })).body).toEqual([]);
  });

  it('refuses an upload while the cluster setting forbids them, then installs, lists and deletes one', async () => {
    const zip = await buildArtifactZip({ manifest: { module_name: 'Routed', version: 3 } });
    await agent.services.settings.update({ allow_modules_upload: false });
    expectRsError(await api(artifacts(), { method: 'POST', credentials: ADMIN, form: artifactForm(zip) }), 403);

    await agent.services.settings.update({ allow_modules_upload: true });
    const uploaded = await api(artifacts(), { method: 'POST', credentials: ADMIN, form: artifactForm(zip) });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
    expect(uploaded.body).toMatchObject({ module_name: 'Routed', version: 3, sha256: sha256(zip), size: zip.length });
    expect((await api(artifacts(), { credentials: ADMIN })).body).toEqual([
      expect.objectContaining({ module_name: 'Routed', version: 3 }) as unknown,
    ]);

    const removed = await api(`${artifacts()}/Routed/3`, { method: 'DELETE', credentials: ADMIN });
    expect(removed.status).toBeLessThan(300);
    expect((await api(artifacts(), { credentials: ADMIN })).body).toEqual([]);
    expectRsError(await api(`${artifacts()}/Routed/3`, { method: 'DELETE', credentials: ADMIN }), 404);
  });
});
