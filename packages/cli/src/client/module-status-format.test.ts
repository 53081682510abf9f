import { describe, expect, it } from 'vitest';
import { renderModuleStatus } from './module-status-format.js';

const tables = {
  cluster_modules: [
    {
      module: 'RedisJSON',
      module_name: 'ReJSON',
      version: '2.6.8',
      min_redis_version: '7.1',
      compatible_redis_version: '7.2',
      id: 'b631b6a863edde1b53b2f7a27a49c004',
    },
  ],
  database_modules: [
    {
      db: 'db:1',
      name: 'search-json-db',
      module: 'RediSearch 2',
      module_name: 'search',
      version: '2.8.9',
      args: 'PARTITIONS AUTO',
      status: 'OK' as const,
    },
  ],
};

describe('modules status tables', () => {
  it("prints rladmin's two tables in its own columns", () => {
    expect(renderModuleStatus(tables)).toBe(
      [
        'CLUSTER MODULES:',
        'MODULE           VERSION   MIN_REDIS_VERSION  ID',
        'RedisJSON        2.6.8     7.1                b631b6a863edde1b53b2f7a27a49c004',
        'DATABASE MODULES:',
        'DB:ID      NAME             MODULE            VERSION  ARGS              STATUS',
        'db:1       search-json-db   RediSearch 2      2.8.9    PARTITIONS AUTO   OK',
        '',
      ].join('\n'),
    );
  });

  it('adds COMPATIBLE_REDIS_VERSION on request and widens a column for a long cell', () => {
    const long = {
      ...tables,
      database_modules: [
        {
          ...tables.database_modules[0]!,
          name: 'a-database-name-longer-than-rladmin',
          status: 'OK, OLD MODULE VERSION' as const,
        },
      ],
    };
    const text = renderModuleStatus(long, 'compatible_redis_version');
    expect(text).toContain('MODULE           VERSION   MIN_REDIS_VERSION  COMPATIBLE_REDIS_VERSION  ID\n');
    expect(text).toContain('7.1                7.2                       b631');
    expect(text).toContain('db:1       a-database-name-longer-than-rladmin  RediSearch 2');
    expect(text).toMatch(/PARTITIONS AUTO {3}OK, OLD MODULE VERSION\n$/);
  });
});
