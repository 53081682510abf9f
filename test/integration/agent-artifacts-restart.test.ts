import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { routes } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { oneAgentPerTest } from '../helpers/cluster-per-test.js';

const LISTED = { module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] };

describe('agent artifacts across an agent restart', () => {
  const { cluster, list, upload, remove, dataDir } = oneAgentPerTest();

  it('still lists an uploaded artifact on the restarted agent', async () => {
    await upload(await buildArtifactZip());

    const restarted = await cluster().restartAgent(0);
    const res = await api(`${restarted.url}${routes.localArtifacts}`, { credentials: ADMIN });

    expect(res.status).toBe(200);
    expect(res.body).toEqual([LISTED]);
  });

  it('still treats the same bytes as a no-op and other bytes as 406 module_exists after a restart', async () => {
    const original = await buildArtifactZip();
    await upload(original);

    await cluster().restartAgent(0);
    const same = await upload(original);
    const other = await upload(await buildArtifactZip());

    expect(same.status).toBe(200);
    expect(other.status).toBe(406);
    expect(other.body).toEqual({ error_code: 'module_exists', description: expect.any(String) as string });
  });

  it('deletes an artifact installed before the restart', async () => {
    await upload(await buildArtifactZip());
    await cluster().restartAgent(0);

    const res = await remove('TestModule', 123);

    expect(res.status).toBe(200);
    expect((await list()).body).toEqual([]);
  });

  it('empties tmp of what a crashed upload left behind', async () => {
    await writeFile(join(dataDir(), 'tmp', 'upload-left-by-a-crash'), 'half an artifact');
    await mkdir(join(dataDir(), 'tmp', 'stage-left-by-a-crash'));

    await cluster().restartAgent(0);

    expect(await readdir(join(dataDir(), 'tmp'))).toEqual([]);
  });

  it('does not list an incomplete artifact folder (no artifact.json) and keeps listing the complete ones', async () => {
    await upload(await buildArtifactZip());
    const incomplete = join(dataDir(), 'artifacts', 'Broken@1');
    await mkdir(incomplete);
    await writeFile(join(incomplete, 'module.zip'), await buildArtifactZip({ manifest: { module_name: 'Broken' } }));

    await cluster().restartAgent(0);
    const res = await list();

    expect(res.body).toEqual([LISTED]);
  });

  it('installs an upload whose name and version match an incomplete folder found at start', async () => {
    const incomplete = join(dataDir(), 'artifacts', 'Broken@1');
    await mkdir(incomplete);
    await writeFile(join(incomplete, 'module.zip'), 'left by a crash');
    await cluster().restartAgent(0);
    const zip = await buildArtifactZip({ manifest: { module_name: 'Broken', version: 1, dependencies: undefined } });

    const res = await upload(zip);

    expect(res.status).toBe(200);
    expect((await list()).body).toEqual([{ module_name: 'Broken', version: 1, dependencies: [] }]);
  });
});
