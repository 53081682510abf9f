/**
 * A fresh in-process cluster for each test of the calling `describe` (register it inside one: it
 * adds the hooks there), and the one-agent kind with the agent's local artifact API as calls.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { routes } from '@modfleet/common';
import { afterEach, beforeEach } from 'vitest';
import { api, artifactForm, type Credentials } from './http.js';
import { ADMIN, startTestCluster, type TestCluster } from './in-process-cluster.js';

type ClusterOptions = NonNullable<Parameters<typeof startTestCluster>[0]>;

/** The cluster of the current test, started before it and stopped after it. */
export function clusterPerTest(options: ClusterOptions = {}): () => TestCluster {
  let current: TestCluster | undefined;
  beforeEach(async () => {
    current = await startTestCluster(options);
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('no cluster: clusterPerTest() serves the tests of the describe that called it');
    return current;
  };
}

export interface OneAgent {
  /** The running cluster of the current test. */
  cluster: () => TestCluster;
  artifactsUrl: () => string;
  /** The agent's data dir (its config's: it stays the same across restarts). */
  dataDir: () => string;
  /** What the agent's tmp dir holds (an upload that ended leaves nothing there). */
  tmpEntries: () => Promise<string[]>;
  list: (credentials?: Credentials) => ReturnType<typeof api>;
  upload: (zip: Buffer, credentials?: Credentials) => ReturnType<typeof api>;
  /** DELETE `<artifacts>/<name>/<version>` as written: names a test chose on purpose are not encoded. */
  remove: (name: string, version: string | number, credentials?: Credentials) => ReturnType<typeof api>;
}

export function oneAgentPerTest(options: Omit<ClusterOptions, 'nodes'> = {}): OneAgent {
  const cluster = clusterPerTest({ ...options, nodes: 1 });
  const artifactsUrl = () => `${cluster().agents[0]!.url}${routes.localArtifacts}`;
  return {
    cluster,
    artifactsUrl,
    dataDir: () => cluster().agentConfigs[0]!.dataDir,
    tmpEntries: () => readdir(join(cluster().agentConfigs[0]!.dataDir, 'tmp')),
    list: (credentials = ADMIN) => api(artifactsUrl(), { credentials }),
    upload: (zip, credentials = ADMIN) => api(artifactsUrl(), { method: 'POST', credentials, form: artifactForm(zip) }),
    remove: (name, version, credentials = ADMIN) =>
      api(`${artifactsUrl()}/${name}/${version}`, { method: 'DELETE', credentials }),
  };
}
