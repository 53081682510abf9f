import { describe, expect, it } from 'vitest';
import { fitsRedis, moduleStatusTables, type InstalledModule } from './module-status.js';
import type { BdbModuleEntry } from './bdb-module-entry.js';

const mfver = (semver: string, version: number, compatible = '7.0'): InstalledModule => ({
  uid: `id-${semver}`,
  module_name: 'mfver',
  display_name: 'MF Version',
  semantic_version: semver,
  version,
  min_redis_version: '6.0',
  compatible_redis_version: compatible,
});
const entry = (module: InstalledModule, args = ''): BdbModuleEntry => ({
  module_name: module.module_name,
  module_args: args,
  module_id: module.uid,
  semantic_version: module.semantic_version,
});
const db = (uid: number, modules: BdbModuleEntry[], redis_version = '7.0') => ({
  uid,
  name: `db-${uid}`,
  redis_version,
  module_list: modules,
});

describe('moduleStatusTables', () => {
  const old = mfver('1.0.0', 10000);
  const newer = mfver('1.1.0', 10100);

  it('lists the newest version of each module, every version with all', () => {
    expect(moduleStatusTables([old, newer], []).cluster_modules.map(r => r.version)).toEqual(['1.1.0']);
    expect(moduleStatusTables([old, newer], [], { all: true }).cluster_modules.map(r => r.version)).toEqual([
      '1.1.0',
      '1.0.0',
    ]);
    expect(moduleStatusTables([newer], []).cluster_modules[0]).toEqual({
      module: 'MF Version',
      module_name: 'mfver',
      version: '1.1.0',
      min_redis_version: '6.0',
      compatible_redis_version: '7.0',
      id: 'id-1.1.0',
    });
  });

  it('says OLD MODULE VERSION while a newer version that fits the database is installed', () => {
    const tables = moduleStatusTables([old, newer], [db(1, [entry(old, 'LABEL a')]), db(2, [entry(newer)])]);
    expect(tables.database_modules).toEqual([
      {
        db: 'db:1',
        name: 'db-1',
        module: 'MF Version',
        module_name: 'mfver',
        version: '1.0.0',
        args: 'LABEL a',
        status: 'OK, OLD MODULE VERSION',
      },
      expect.objectContaining({ db: 'db:2', version: '1.1.0', status: 'OK' }),
    ]);
  });

  it('a newer version for another Redis does not make a database old', () => {
    const forRedis72 = mfver('2.0.0', 20000, '7.2');
    expect(moduleStatusTables([old, forRedis72], [db(1, [entry(old)])]).database_modules[0]?.status).toBe('OK');
  });
});

describe('fitsRedis', () => {
  it('matches compatible_redis_version on major.minor, else min_redis_version', () => {
    expect(fitsRedis({ compatible_redis_version: '7.0.15', min_redis_version: '' }, '7.0')).toBe(true);
    expect(fitsRedis({ compatible_redis_version: '7.2', min_redis_version: '' }, '7.0')).toBe(false);
    expect(fitsRedis({ compatible_redis_version: '', min_redis_version: '6.2' }, '7.0')).toBe(true);
    expect(fitsRedis({ compatible_redis_version: '', min_redis_version: '7.2' }, '7.0')).toBe(false);
  });
});
