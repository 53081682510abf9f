import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killShardsOf, privateDbPorts } from '../helpers/databases.js';
import { startUp, UP_ADMIN } from '../helpers/modfleet-up.js';
import { freePortRange, killAllProcesses, runToExit, type Env, type ModfleetProcess } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

interface DbLoadReport {
  ok: boolean;
  errors_by_code: Record<string, number>;
  operations: Record<string, { count: number; errors: number }>;
  databases: { uid: number; name: string; endpoint: string; requests: number; errors: number }[];
  chaos?: {
    kills: { service: string; pid: number; back_after_s: number | null; new_pid: number | null; data_kept?: boolean }[];
  };
}

describe('modfleet load --db against a database of a cluster run by `modfleet up` (real processes)', () => {
  let up: ModfleetProcess;
  let dataDir: string;
  let prefix: string;
  let env: Env;
  const load = async (args: string[]) => {
    const result = await runToExit(['load', ...args, '-o', 'json'], env, 120_000);
    return {
      code: result.code,
      report: JSON.parse(result.stdout || '{}') as DbLoadReport,
      output: result.stdout + result.stderr,
    };
  };

  beforeAll(async () => {
    prefix = uniquePrefix('loaddb');
    dataDir = await makeTmpDir('modfleet-soak-loaddb');
    const port = await freePortRange(2);
    up = await startUp(
      { nodes: 1, port, dataDir, prefix, redisUrl: REDIS_URL },
      { MODFLEET_DB_PORTS: await privateDbPorts(4) },
    );
    env = {
      MODFLEET_URL: `https://127.0.0.1:${port}`,
      MODFLEET_USER: UP_ADMIN.email,
      MODFLEET_PASSWORD: UP_ADMIN.password,
      MODFLEET_CA: join(dataDir, 'tls', 'ca.pem'),
    };
    const created = await runToExit(
      ['db', 'create', 'durable', '--memory', '50MB', '--persistence', 'aof'],
      env,
      60_000,
    );
    expect(created.code, created.stdout + created.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await up?.stop('SIGINT', 20_000).catch(() => undefined);
    await killShardsOf([join(dataDir, 'node-1')]);
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  it('sends the given commands in turn and reports them per command and per database', async () => {
    const { code, report, output } = await load([
      ...['--db', 'durable', '--count', '40', '--concurrency', '2'],
      ...['--db-command', 'SET greeting "hello world"', '--db-command', 'GET greeting'],
    ]);
    expect(code, output).toBe(0);
    expect(report.operations['db durable SET']?.count).toBe(20);
    expect(report.operations['db durable GET']?.count).toBe(20);
    expect(report.databases).toEqual([expect.objectContaining({ name: 'durable', requests: 40, errors: 0 })]);
  });

  it('fails the run on error replies, counted by their first word', async () => {
    const { code, report } = await load(['--db', 'durable', '--count', '5', '--db-command', 'NOSUCHCOMMAND x']);
    expect(code).not.toBe(0);
    expect(report.ok).toBe(false);
    expect(report.errors_by_code).toEqual({ 'redis ERR': 5 });
  });

  it('--chaos shards: SIGKILLs the master shard; its agent restarts it with the key written before the kill', async () => {
    const { code, report, output } = await load([
      ...['--db', 'durable', '--duration', '5s', '--concurrency', '2'],
      ...['--chaos', 'shards', '--chaos-interval', '1500ms', '--seed', '3'],
    ]);
    expect(code, output).toBe(0);
    expect(report.ok).toBe(true);
    const kills = report.chaos!.kills;
    expect(kills.length).toBeGreaterThan(0);
    for (const kill of kills) {
      expect(kill.service).toBe('shard of db durable');
      expect(kill.back_after_s, JSON.stringify(kill)).not.toBeNull();
      expect(kill.new_pid).not.toBe(kill.pid);
      expect(kill.data_kept).toBe(true);
    }
    expect(report.operations['db durable PING']?.count).toBeGreaterThan(0);
    expect(report.operations['db durable GET']?.count).toBeGreaterThan(0);
  });

  it('refuses --chaos shards without --db', async () => {
    const { code, output } = await load(['--count', '1', '--chaos', 'shards']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/give --db/);
  });
});
