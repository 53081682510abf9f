/**
 * A fresh in-process coordinator and one agent for each test of the calling `describe`, with the
 * agent's local artifact API as calls. Register it inside a `describe`: it adds the hooks there.
 */
import { routes } from '@modfleet/common';
import { afterEach, beforeEach } from 'vitest';
import { api, artifactForm, type Credentials } from './http.js';
import { ADMIN, startTestCluster, type TestCluster } from './in-process-cluster.js';

export interface OneAgent {
  /** The running cluster of the current test. */
  cluster: () => TestCluster;
  artifactsUrl: () => string;
  /** The agent's data dir (its config's: it stays the same across restarts). */
  dataDir: () => string;
  list: (credentials?: Credentials) => ReturnType<typeof api>;
  upload: (zip: Buffer, credentials?: Credentials) => ReturnType<typeof api>;
  /** DELETE `<artifacts>/<name>/<version>` as written: names a test chose on purpose are not encoded. */
  remove: (name: string, version: string | number, credentials?: Credentials) => ReturnType<typeof api>;
}

export function oneAgentPerTest(): OneAgent {
  let current: TestCluster | undefined;
  beforeEach(async () => {
    current = await startTestCluster({ nodes: 1 });
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  const cluster = () => {
    if (!current) throw new Error('no cluster: oneAgentPerTest() serves the tests of the describe that called it');
    return current;
  };
  const artifactsUrl = () => `${cluster().agents[0]!.url}${routes.localArtifacts}`;
  return {
    cluster,
    artifactsUrl,
    dataDir: () => cluster().agentConfigs[0]!.dataDir,
    list: (credentials = ADMIN) => api(artifactsUrl(), { credentials }),
    upload: (zip, credentials = ADMIN) => api(artifactsUrl(), { method: 'POST', credentials, form: artifactForm(zip) }),
    remove: (name, version, credentials = ADMIN) =>
      api(`${artifactsUrl()}/${name}/${version}`, { method: 'DELETE', credentials }),
  };
}
