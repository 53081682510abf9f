import { describe, expect, it } from 'vitest';
import { UsageError } from '../client/client-context.js';
import { summarizeDatabases, type LoadDatabase } from './db-ops.js';
import { effectiveMix } from './load-command.js';
import { parseMix } from './load-options.js';
import { renderLoadReport, type LoadReport } from './load-report.js';
import { DbReplyError, LoadStats } from './load-stats.js';

const search: LoadDatabase = { uid: 1, name: 'search', host: '127.0.0.1', port: 12000, dataPersistence: 'aof' };
const cache: LoadDatabase = { uid: 2, name: 'cache', host: '127.0.0.2', port: 12001, dataPersistence: 'disabled' };

function reportOf(stats: LoadStats): LoadReport {
  const operations = stats.summary(2000);
  return {
    ok: true,
    coordinator: 'https://127.0.0.1:9443',
    nodes: 2,
    elapsed_s: 2,
    requests: stats.done,
    requests_per_second: stats.done / 2,
    errors: stats.errors,
    server_errors: 0,
    connection_errors: 0,
    skipped: 0,
    errors_by_code: Object.fromEntries(stats.errorsByCode),
    operations,
    databases: summarizeDatabases([search, cache], operations),
    cleanup: { removed: 0, left: [] },
    settle: { settled: true, waited_s: 0, pending: [] },
    verify: { clean: true, totals: { missing: 0, extra: 0, mismatch: 0, unreachable: 0 } } as LoadReport['verify'],
  };
}

describe('the db operation in the load report', () => {
  it('adds up each database’s commands, and lists them per database and per command', () => {
    const stats = new LoadStats();
    for (let i = 0; i < 6; i++) stats.record('db search FT.SEARCH', 2);
    stats.record('db search FT.SEARCH', 3, new DbReplyError('Unknown', 'Unknown Index name'));
    for (let i = 0; i < 4; i++) stats.record('db cache PING', 1);
    stats.record('GET /v1/nodes', 1);
    const report = reportOf(stats);

    expect(report.databases).toEqual([
      { uid: 1, name: 'search', endpoint: '127.0.0.1:12000', requests: 7, errors: 1, per_second: 3.5 },
      { uid: 2, name: 'cache', endpoint: '127.0.0.2:12001', requests: 4, errors: 0, per_second: 2 },
    ]);
    expect(report.errors_by_code).toEqual({ 'redis Unknown': 1 });
    expect(stats.dbReplyErrors).toBe(1);
    const text = renderLoadReport(report);
    expect(text).toMatch(/^db search FT\.SEARCH +7 /m);
    expect(text).toMatch(/^db cache PING +4 /m);
    expect(text).toMatch(/^DATABASE +ENDPOINT +REQUESTS +REQ\/S +ERRORS$/m);
    expect(text).toMatch(/^1 search +127\.0\.0\.1:12000 +7 +3\.5 +1$/m);
    expect(text).toMatch(/^2 cache +127\.0\.0\.2:12001 +4 +2\.0 +0$/m);
  });

  it('runs the db operation alone for --db without --mix, and refuses a db weight without --db or --db without one', () => {
    const mix = parseMix('read=70,local=20,push=10');
    expect(effectiveMix(mix, false, ['search'])).toEqual({ read: 0, local: 0, push: 0, db: 1 });
    expect(effectiveMix(parseMix('read=1,db=3'), true, ['search'])).toEqual({ read: 1, local: 0, push: 0, db: 3 });
    expect(effectiveMix(mix, false, undefined)).toBe(mix);
    expect(() => effectiveMix(parseMix('db=1'), true, undefined)).toThrow(UsageError);
    expect(() => effectiveMix(mix, true, ['search'])).toThrow(/gives it no weight/);
  });

  it('says for each killed shard whether the key written before the kill came back', () => {
    const report: LoadReport = {
      ...reportOf(new LoadStats()),
      chaos: {
        seed: 3,
        targets: ['shards'],
        kills: [
          { at_s: 1, service: 'shard of db search', pid: 10, back_after_s: 0.4, new_pid: 11, data_kept: true },
          { at_s: 3, service: 'shard of db search', pid: 11, back_after_s: 0.5, new_pid: 12, data_kept: false },
          { at_s: 5, service: 'agent 1', pid: 20, back_after_s: 1.2, new_pid: 21 },
        ],
      },
    };
    const text = renderLoadReport(report);
    expect(text).toMatch(/^1\.00 +shard of db search +10 +0\.40 +11 +kept$/m);
    expect(text).toMatch(/^3\.00 +shard of db search +11 +0\.50 +12 +LOST$/m);
    expect(text).toMatch(/^5\.00 +agent 1 +20 +1\.20 +21 +-$/m);
  });
});
