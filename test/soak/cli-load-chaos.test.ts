import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsGet } from '../helpers/tls.js';
import { startUp, UP_ADMIN } from '../helpers/modfleet-up.js';
import { freePortRange, killAllProcesses, runToExit, type ModfleetProcess } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

interface ChaosReport {
  ok: boolean;
  requests: number;
  server_errors: number;
  connection_errors: number;
  chaos: {
    seed: number;
    kills: { service: string; pid: number; back_after_s: number | null; new_pid: number | null }[];
  };
  settle: { settled: boolean };
  cleanup: { left: string[] };
  verify: { clean: boolean };
}

describe('modfleet load --chaos against a cluster run by `modfleet up` (real processes)', () => {
  let up: ModfleetProcess;
  let port: number;
  let prefix: string;
  let dataDir: string;
  beforeAll(async () => {
    prefix = uniquePrefix('chaos');
    dataDir = await makeTmpDir('modfleet-e2e-chaos');
    port = await freePortRange(3);
    up = await startUp({ nodes: 2, port, dataDir, prefix, redisUrl: REDIS_URL });
  }, 120_000);
  afterAll(async () => {
    await up?.stop('SIGINT', 20_000).catch(() => undefined);
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  it('kills the coordinator and agents during pushes and uploads, up restarts them, and the run still ends with a clean verify; exit 0', async () => {
    const coordinator = `https://127.0.0.1:${port}`;
    const result = await runToExit(
      [
        'load',
        ...['--duration', '8s', '--concurrency', '3', '--mix', 'read=2,local=1,push=2', '--size', '4KiB'],
        // Seed 5 draws the coordinator as the first victim, about 1.4 s into the run.
        ...['--chaos', 'agents,coordinator', '--chaos-interval', '2s', '--seed', '5', '-o', 'json'],
      ],
      {
        MODFLEET_URL: coordinator,
        MODFLEET_USER: UP_ADMIN.email,
        MODFLEET_PASSWORD: UP_ADMIN.password,
        MODFLEET_CA: join(dataDir, 'tls', 'ca.pem'),
      },
      240_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ChaosReport;

    expect(report.ok).toBe(true);
    expect(report.chaos.seed).toBe(5);
    expect(report.chaos.kills[0]?.service).toBe('coordinator');
    for (const kill of report.chaos.kills) {
      expect(kill.back_after_s, JSON.stringify(kill)).not.toBeNull();
      expect(kill.new_pid).not.toBe(kill.pid);
      // up's supervisor saw the very kill the report lists.
      await up.waitForOutput(new RegExp(`${kill.service} killed by SIGKILL`), 5_000);
    }
    expect(report.requests).toBeGreaterThan(0);
    expect(report.server_errors).toBe(0);
    expect(report.settle.settled).toBe(true);
    expect(report.cleanup.left).toEqual([]);
    expect(report.verify.clean).toBe(true);
    // What interrupted ops left behind was deleted: the fleet is as it began.
    const fleet = await httpsGet(`${coordinator}/v2/modules/user-defined/artifacts`, {
      ca: await readFile(join(dataDir, 'tls', 'ca.pem'), 'utf8'),
      credentials: UP_ADMIN,
    });
    expect(fleet.body).toEqual([]);
  }, 300_000);
});
