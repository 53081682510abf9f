import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { pathTo, routes } from '@modfleet/common';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { artifactForm } from '../helpers/http.js';
import { killAllProcesses, runToExit } from '../helpers/processes.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Problem {
  artifact: string;
  expected?: string;
  actual?: string;
  error?: string;
}
interface NodeReport {
  uid: number;
  verdict: 'ok' | 'drift' | 'unreachable';
  error?: string;
  held: number;
  expected: number;
  missing: Problem[];
  extra: Problem[];
  mismatch: Problem[];
  corrupt: Problem[];
  load_failed: { artifact: string; status: string; reason: string }[];
}
interface Report {
  clean: boolean;
  deep: boolean;
  nodes: NodeReport[];
  totals: Record<string, number>;
}

describe('modfleet verify against a coordinator and three agents (real processes)', () => {
  let cluster: FleetCluster;
  let zip: Buffer;
  const env = () => ({
    MODFLEET_URL: cluster.coordinator.url,
    MODFLEET_USER: FLEET_ADMIN.email,
    MODFLEET_PASSWORD: FLEET_ADMIN.password,
  });
  const verify = (...args: string[]) => runToExit(['verify', '--allow-http-nodes', ...args], env(), 30_000);
  async function verifyJson(...args: string[]): Promise<{ code: number | null; report: Report }> {
    const result = await verify('-o', 'json', ...args);
    try {
      return { code: result.code, report: JSON.parse(result.stdout) as Report };
    } catch {
      throw new Error(`verify printed no JSON: exit ${result.code}\n${result.stdout}${result.stderr}`);
    }
  }
  const node = (report: Report, uid: number) => report.nodes.find(n => n.uid === uid)!;
  const zipOn = (uid: number) => join(cluster.agent(uid).dataDir, 'artifacts', 'VerifyMod@1', 'module.zip');

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 3 });
    zip = await buildArtifactZip({ manifest: { module_name: 'VerifyMod', version: 1 } });
    const pushed = await cluster.push(zip);
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const action = await cluster.waitForAction(pushed.body.action_uid!);
    expect(action.status).toBe('completed');
  });
  afterAll(async () => {
    await cluster?.stop();
    await killAllProcesses();
  });

  it('sends no credentials to a node that serves plain HTTP unless --allow-http-nodes says so', async () => {
    const result = await runToExit(['verify', '-o', 'json'], env(), 30_000);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.nodes.map(n => n.verdict)).toEqual(['unreachable', 'unreachable', 'unreachable']);
    expect(result.stdout).toMatch(/plain HTTP: your credentials were not sent/);
  });

  it('exits 0 and says clean when every agent holds what the fleet pushed, in a table and in JSON', async () => {
    const table = await verify();
    expect(table.code, table.stdout + table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^NODE\s+ADDR\s+VERDICT\s+HELD\s+EXPECTED\s+MISSING\s+EXTRA\s+MISMATCH$/m);
    expect(table.stdout).toMatch(/Clean: 1 fleet artifact on 3 nodes/);

    const { code, report } = await verifyJson();
    expect(code).toBe(0);
    expect(report.clean).toBe(true);
    expect(report.nodes.map(n => [n.uid, n.verdict, n.held, n.expected])).toEqual([
      [1, 'ok', 1, 1],
      [2, 'ok', 1, 1],
      [3, 'ok', 1, 1],
    ]);
    // The pushed .so is random bytes: each node's own record of its load check says so, and
    // verify reports it without counting it as drift.
    for (const uid of [1, 2, 3]) {
      expect(node(report, uid).load_failed).toEqual([
        { artifact: 'VerifyMod@1', status: 'failed', reason: expect.stringMatching(/does not load/) as string },
      ]);
    }
    expect(table.stdout).toMatch(/Module load checks not passed/);
    expect(table.stdout).toMatch(/node 2: VerifyMod@1: .*does not load/);
  });

  it('reports a missing artifact, a local-only extra and other bytes under the same name, each on its node; exit 1', async () => {
    const other = await buildArtifactZip({ manifest: { module_name: 'VerifyMod', version: 1 } });
    const localOnly = await buildArtifactZip({ manifest: { module_name: 'LocalOnly', version: 7 } });
    const [one, two, three] = [cluster.agent(1), cluster.agent(2), cluster.agent(3)];
    expect(
      (
        await cluster.agentApi(two, pathTo(routes.localArtifact, { moduleName: 'VerifyMod', version: 1 }), {
          method: 'DELETE',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await cluster.agentApi(one, pathTo(routes.localArtifact, { moduleName: 'VerifyMod', version: 1 }), {
          method: 'DELETE',
        })
      ).status,
    ).toBe(200);
    expect(
      (await cluster.agentApi(one, routes.localArtifacts, { method: 'POST', form: artifactForm(other) })).status,
    ).toBe(200);
    expect(
      (await cluster.agentApi(three, routes.localArtifacts, { method: 'POST', form: artifactForm(localOnly) })).status,
    ).toBe(200);

    const { code, report } = await verifyJson();
    expect(code).toBe(3);
    expect(report.clean).toBe(false);
    expect(node(report, 1)).toMatchObject({
      verdict: 'drift',
      mismatch: [{ artifact: 'VerifyMod@1', expected: sha256(zip), actual: sha256(other) }],
      missing: [],
      extra: [],
    });
    expect(node(report, 2)).toMatchObject({
      verdict: 'drift',
      missing: [{ artifact: 'VerifyMod@1', expected: sha256(zip) }],
      extra: [],
    });
    expect(node(report, 3)).toMatchObject({
      verdict: 'drift',
      extra: [{ artifact: 'LocalOnly@7', actual: sha256(localOnly) }],
      missing: [],
      mismatch: [],
    });
    const table = await verify();
    expect(table.code).toBe(3);
    expect(table.stdout).toContain('node 2: missing   VerifyMod@1');
    expect(table.stdout).toContain('node 3: extra     LocalOnly@7');
    expect(table.stdout).toMatch(/node 1: mismatch {2}VerifyMod@1: holds \w{12}, fleet has \w{12}/);

    // Repair: sync replaces node 1's bytes and installs on node 2; the local-only one goes by hand.
    const synced = await cluster.api<{ action_uid: string }>('/v2/modules/user-defined/artifacts/sync', {
      method: 'POST',
    });
    expect((await cluster.waitForAction(synced.body.action_uid)).status).toBe('completed');
    expect(
      (
        await cluster.agentApi(three, pathTo(routes.localArtifact, { moduleName: 'LocalOnly', version: 7 }), {
          method: 'DELETE',
        })
      ).status,
    ).toBe(200);
    expect((await verifyJson()).code).toBe(0);
  });

  it('finds bytes changed on disk after install only with --deep, on that node only', async () => {
    const original = await readFile(zipOn(2));
    const tampered = Buffer.from(original);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    await writeFile(zipOn(2), tampered);
    try {
      const shallow = await verifyJson();
      expect(shallow.code).toBe(0);
      expect(shallow.report.clean).toBe(true);

      const deep = await verifyJson('--deep');
      expect(deep.code).toBe(3);
      expect(deep.report.deep).toBe(true);
      expect(node(deep.report, 2)).toMatchObject({
        verdict: 'drift',
        corrupt: [{ artifact: 'VerifyMod@1', expected: sha256(zip), actual: sha256(tampered) }],
      });
      expect(node(deep.report, 1).verdict).toBe('ok');
      expect(node(deep.report, 3).verdict).toBe('ok');
      const table = await verify('--deep');
      expect(table.stdout).toMatch(/node 2: corrupt {3}VerifyMod@1: installed \w{12}, the disk now hashes to \w{12}/);
    } finally {
      await writeFile(zipOn(2), original);
    }
    expect((await verifyJson('--deep')).code).toBe(0);
  });

  it('reports an agent that does not answer as unreachable and the others as ok; exit 1', async () => {
    await cluster.killAgent(cluster.agent(3));

    const { code, report } = await verifyJson();
    expect(code).toBe(1);
    expect(node(report, 3).verdict).toBe('unreachable');
    expect(node(report, 3).error).toMatch(/connection_refused/);
    expect(node(report, 1).verdict).toBe('ok');
    expect(node(report, 2).verdict).toBe('ok');
    expect(report.totals.unreachable).toBe(1);
  });
});
