import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { api, artifactForm } from '../helpers/http.js';

describe('in-process cluster', () => {
  let cluster: TestCluster;
  beforeEach(async () => {
    cluster = await startTestCluster({ nodes: 1 });
  });
  afterEach(async () => {
    await cluster.stop();
  });

  it('uploads an artifact to an agent and lists it', async () => {
    const url = `${cluster.agents[0]!.url}/v2/local/modules/user-defined/artifacts`;

    const upload = await api(url, { method: 'POST', credentials: ADMIN, form: artifactForm(await buildArtifactZip()) });
    const list = await api(url, { credentials: ADMIN });

    expect(upload.status).toBe(200);
    expect(list.body).toEqual([{ module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] }]);
  });
});
