import type { LoadCheck } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, showCli } from '../helpers/cli-run.js';
import { FLEET_ADMIN, startFleetCluster, type FleetArtifactView, type FleetCluster } from '../helpers/fleet-cluster.js';
import { MFVER_VERSIONS, writeTestModuleZip } from '../helpers/test-modules.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const NODES = 2;

describe('mfver test-module zips pushed with modfleet (real processes)', () => {
  let cluster: FleetCluster;
  let work: string;
  const run = (args: string[]) =>
    runCli(args, {
      cwd: work,
      env: {
        MODFLEET_URL: cluster.coordinator.url,
        MODFLEET_USER: FLEET_ADMIN.email,
        MODFLEET_PASSWORD: FLEET_ADMIN.password,
      },
    });
  const checksOf = (view: FleetArtifactView[], key: string): (LoadCheck | undefined)[] =>
    Object.values(view.find(a => `${a.module_name}@${a.version}` === key)?.nodes ?? {}).map(cell => cell.load_check);
  const waitForChecks = (key: string) =>
    cluster.waitForFleetView(
      view => checksOf(view, key).filter(check => check !== undefined).length === NODES,
      `${NODES} load checks of ${key}`,
    );

  beforeAll(async () => {
    [cluster, work] = await Promise.all([startFleetCluster({ nodes: NODES }), makeTmpDir('modfleet-e2e-mfver')]);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (work) await removeDir(work);
  });

  it('installs 1.0.0 and 2.0.0 on every node, each loading there as its own version', async () => {
    for (const semver of ['1.0.0', '2.0.0'] as const) {
      const pushed = await run(['push', await writeTestModuleZip(work, semver)]);
      expect(pushed.code, showCli(pushed)).toBe(0);
      expect(pushed.stdout).toMatch(/^Module load check passed on nodes 1, 2$/m);

      const key = `mfver@${MFVER_VERSIONS[semver].version}`;
      for (const check of checksOf(await waitForChecks(key), key)) {
        expect(check).toMatchObject({
          status: 'passed',
          reason: expect.stringContaining(`loaded as mfver ${MFVER_VERSIONS[semver].version}`) as string,
        });
      }
    }
    for (const agent of cluster.agents) {
      const held = (await cluster.localArtifacts(agent)).map(a => `${a.module_name}@${a.version}`);
      expect(held).toEqual(expect.arrayContaining(['mfver@10000', 'mfver@20000']));
    }
  });

  it('loads with module.json’s command_line_args on every node: a typo fails each node’s check in mfver’s words', async () => {
    const zip = await writeTestModuleZip(work, '1.1.0', { command_line_args: 'LABLE blue' });

    const pushed = await run(['push', zip]);

    expect(pushed.code, showCli(pushed)).toBe(0);
    expect(pushed.stdout).toMatch(/^Installed, but the module load check did not pass:$/m);
    const checks = checksOf(await waitForChecks('mfver@10100'), 'mfver@10100');
    for (const check of checks) {
      expect(check).toMatchObject({
        status: 'failed',
        reason: expect.stringContaining("mfver: unknown argument 'LABLE' (mfver 1.1.0 knows: LABEL <text>)") as string,
      });
    }
  });
});
