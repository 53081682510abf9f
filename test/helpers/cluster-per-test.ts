/**
 * A fresh in-process cluster for each test of the calling `describe` (register it inside one: it
 * adds the hooks there), and the one-agent kind with the agent's local artifact API as calls.
 * `oneAgentPerFile` starts that cluster once for the describe and empties the agent's store before
 * each test: a start costs seconds on a loaded machine, an emptying a few requests.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { routes } from '@modfleet/common';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
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

/** One cluster for every test of the calling `describe`, started before the first and stopped after the last. */
export function clusterPerDescribe(options: ClusterOptions = {}): () => TestCluster {
  let current: TestCluster | undefined;
  beforeAll(async () => {
    current = await startTestCluster(options);
  });
  afterAll(async () => {
    await current?.stop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('no cluster: clusterPerDescribe() serves the tests of the describe that called it');
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
  return oneAgentCalls(clusterPerTest({ ...options, nodes: 1 }));
}

/**
 * One agent for the whole `describe`; before each test uploads are allowed again and every
 * installed artifact is deleted, so each test starts from an empty store as with `oneAgentPerTest`.
 * Only for tests that change nothing but the agent's artifacts, the upload setting and new users.
 */
export function oneAgentPerFile(options: Omit<ClusterOptions, 'nodes'> = {}): OneAgent {
  const agent = oneAgentCalls(clusterPerDescribe({ ...options, nodes: 1 }));
  beforeEach(async () => {
    const allowed = await api(`${agent.cluster().coordinator.url}${routes.cluster}`, {
      method: 'PUT',
      credentials: ADMIN,
      json: { allow_modules_upload: true },
    });
    expect(allowed.status).toBe(200);
    const listed = await agent.list();
    for (const { module_name, version } of listed.body as { module_name: string; version: number }[]) {
      expect((await agent.remove(encodeURIComponent(module_name), version)).status).toBe(200);
    }
    expect((await agent.list()).body).toEqual([]);
    expect(await agent.tmpEntries()).toEqual([]);
  });
  return agent;
}

function oneAgentCalls(cluster: () => TestCluster): OneAgent {
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
