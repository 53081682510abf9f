import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routes, type NodeView } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validManifest, writeArtifactZip } from '../helpers/artifact-zip.js';
import { api, type Credentials } from '../helpers/http.js';
import { pollFor } from '../helpers/poll.js';
import { freePort, killAllProcesses, runProcess, startService, waitUntil, type Service } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const ADMIN: Credentials = { email: 'admin@e2e.local', password: 'e2e-admin-password' };
const SCRIPT = fileURLToPath(new URL('./scripts/rs-module-workflow.sh', import.meta.url));
const manifest = validManifest({ module_name: 'ScriptModule', version: 5 });
const definition = { ...manifest, display_name: 'Script Module', command_line_args: '' };

describe('a script written for RS, pointed at a node instead of the coordinator', () => {
  let prefix: string;
  let dataDir: string;
  let coordinator: Service;
  let agents: Service[];
  let files: { zip: string; def: string };

  beforeAll(async () => {
    prefix = uniquePrefix();
    dataDir = await makeTmpDir('modfleet-e2e-rs-script');
    const shared = { REDIS_URL, MODFLEET_PREFIX: prefix, MODFLEET_CLUSTER_SECRET: 'e2e-cluster-secret-0123456789' };
    coordinator = await startService('coordinator', await freePort(), {
      ...shared,
      MODFLEET_DATA_DIR: join(dataDir, 'coordinator'),
      MODFLEET_ADMIN_EMAIL: ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: ADMIN.password,
    });
    agents = await Promise.all(
      [1, 2].map(async node =>
        startService('agent', await freePort(), {
          ...shared,
          MODFLEET_DATA_DIR: join(dataDir, `node-${node}`),
          MODFLEET_NODE_ID: String(node),
          MODFLEET_COORDINATOR_URL: coordinator.url,
        }),
      ),
    );
    await pollFor(
      () => api<NodeView[]>(`${coordinator.url}${routes.nodes}`, { credentials: ADMIN }),
      res => res.status === 200 && res.body.filter(node => node.status === 'active').length === 2,
      'both agents active',
    );
    files = { zip: join(dataDir, 'custom-module.zip'), def: join(dataDir, 'module.json') };
    await writeArtifactZip(files.zip, { manifest });
    await writeFile(files.def, JSON.stringify(definition));
  });

  afterAll(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  async function runScript(cluster: string): Promise<string> {
    const run = runProcess(
      'bash',
      [SCRIPT],
      { CLUSTER: cluster, AUTH: `${ADMIN.email}:${ADMIN.password}`, ZIP: files.zip, DEF: files.def },
      'rs-module-workflow.sh',
    );
    await waitUntil(() => !run.isRunning(), 'the RS script to finish', 60_000);
    await run.exited;
    expect(run.child.exitCode, run.output()).toBe(0);
    return run.stdout();
  }

  /** The script's output with the module object's uid (new on each run) replaced. */
  const withoutUid = (output: string) => output.replace(/[0-9a-f]{32}/g, '<uid>');

  it('runs unchanged against a node and prints what it prints against the coordinator', async () => {
    const direct = await runScript(coordinator.url);
    const viaNode = await runScript(agents[0]!.url);
    expect(withoutUid(viaNode)).toBe(withoutUid(direct));

    const lines = viaNode.trim().split('\n');
    expect(lines[0]).toMatch(/^created [0-9a-f]{32}$/);
    expect(JSON.parse(lines[1]!)).toMatchObject({ module_name: 'ScriptModule', version: 5 });
    for (const agent of agents) {
      expect(viaNode).toContain(
        `${agent.url} [{"module_name":"ScriptModule","version":5,"dependencies":["dep_1","dep_2"]}]`,
      );
    }
    expect(lines.at(-1)).toMatch(/^deleted [0-9a-f]{32}; modules left: \[\]$/);

    // What it left behind, asked of each service directly: nothing.
    expect((await api(`${coordinator.url}${routes.modules}`, { credentials: ADMIN })).body).toEqual([]);
    for (const agent of agents) {
      expect((await api(`${agent.url}${routes.localArtifacts}`, { credentials: ADMIN })).body).toEqual([]);
    }
  });

  it('runs against the second node too, and fails loudly when that node cannot reach the coordinator', async () => {
    await runScript(agents[1]!.url);
    await coordinator.stop();
    const run = runProcess(
      'bash',
      [SCRIPT],
      { CLUSTER: agents[1]!.url, AUTH: `${ADMIN.email}:${ADMIN.password}`, ZIP: files.zip, DEF: files.def },
      'rs-module-workflow.sh',
    );
    await waitUntil(() => !run.isRunning(), 'the RS script to give up', 60_000);
    await run.exited;
    expect(run.child.exitCode).not.toBe(0);
    expect(run.stderr()).toMatch(/503/);
  });
});
