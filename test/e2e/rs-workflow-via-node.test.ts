import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validManifest, writeArtifactZip } from '../helpers/artifact-zip.js';
import {
  FLEET_ADMIN,
  startFleetCluster,
  type FleetAgent,
  type FleetCluster,
  type FleetCoordinator,
} from '../helpers/fleet-cluster.js';
import { api } from '../helpers/http.js';
import { runProcess, waitUntil } from '../helpers/processes.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const ADMIN = FLEET_ADMIN;
const SCRIPT = fileURLToPath(new URL('./scripts/rs-module-workflow.sh', import.meta.url));
const manifest = validManifest({ module_name: 'ScriptModule', version: 5 });
const definition = { ...manifest, display_name: 'Script Module', command_line_args: '' };

describe('a script written for RS, pointed at a node instead of the coordinator', () => {
  let cluster: FleetCluster;
  let coordinator: FleetCoordinator;
  let agents: FleetAgent[];
  let filesDir: string;
  let files: { zip: string; def: string };

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2 });
    ({ coordinator, agents } = cluster);
    filesDir = await makeTmpDir('modfleet-e2e-rs-script');
    files = { zip: join(filesDir, 'custom-module.zip'), def: join(filesDir, 'module.json') };
    await writeArtifactZip(files.zip, { manifest });
    await writeFile(files.def, JSON.stringify(definition));
  });

  afterAll(async () => {
    await cluster?.stop();
    await removeDir(filesDir);
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
    await cluster.stopCoordinator();
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
