import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { killAllProcesses, runToExit } from '../helpers/processes.js';

interface LoadReport {
  ok: boolean;
  requests: number;
  server_errors: number;
  errors: number;
  errors_by_code: Record<string, number>;
  operations: Record<string, { count: number; p50_ms: number; p99_ms: number; max_ms: number; errors: number }>;
  verify: { clean: boolean };
}

describe('modfleet load against a coordinator and two agents (real processes)', () => {
  let cluster: FleetCluster;
  const env = () => ({
    MODFLEET_URL: cluster.coordinator.url,
    MODFLEET_USER: FLEET_ADMIN.email,
    MODFLEET_PASSWORD: FLEET_ADMIN.password,
  });
  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
    await killAllProcesses();
  });

  it('runs a mix of every kind of operation, reports percentiles per operation, ends with a clean verify; exit 0', async () => {
    const result = await runToExit(
      ['load', '--count', '24', '--concurrency', '3', '--mix', 'read=4,local=1,push=1', '--size', '4KiB', '-o', 'json'],
      env(),
      120_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;

    expect(report.ok).toBe(true);
    expect(report.server_errors).toBe(0);
    expect(report.errors_by_code).toEqual({});
    expect(report.verify.clean).toBe(true);
    const ops = Object.keys(report.operations);
    expect(ops).toEqual(
      expect.arrayContaining([
        'local upload',
        'local delete',
        'fleet push',
        'fleet push action',
        'fleet delete action',
      ]),
    );
    expect(ops.some(op => op.startsWith('GET '))).toBe(true);
    for (const summary of Object.values(report.operations)) {
      expect(summary.count).toBeGreaterThan(0);
      expect(summary.p50_ms).toBeGreaterThan(0);
      expect(summary.p99_ms).toBeGreaterThanOrEqual(summary.p50_ms);
      expect(summary.max_ms).toBeGreaterThanOrEqual(summary.p99_ms);
    }
    // Everything the run created was deleted again: the fleet is as it began.
    expect(await cluster.fleetView()).toEqual([]);
  });

  it('exits 1 with the RS error when the credentials are refused', async () => {
    const result = await runToExit(
      ['load', '--count', '5', '--mix', 'local=1', '--size', '1KiB', '-o', 'json'],
      { ...env(), MODFLEET_PASSWORD: 'not-the-password' },
      60_000,
    );
    // /v1/nodes is refused first: the run cannot start, with the RS error on stderr.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unauthorized|401|authentication/i);
  });
});
