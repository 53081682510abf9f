import type { ModuleStatusTables } from '@modfleet/common/contract';

/** One column of an rladmin table: its header, the width rladmin gives it at least, and the cell. */
interface Column<Row> {
  header: string;
  minWidth: number;
  cell: (row: Row) => string;
}

/**
 * rladmin's plain layout: each column at least as wide as rladmin prints it, wider (with two
 * spaces) for a longer cell; the last column unpadded.
 */
function rladminTable<Row>(title: string, columns: Column<Row>[], rows: readonly Row[]): string {
  const widths = columns.map(column =>
    Math.max(column.minWidth, ...rows.map(row => column.cell(row).length + 2), column.header.length + 2),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('')
      .trimEnd();
  return [
    title,
    line(columns.map(column => column.header)),
    ...rows.map(row => line(columns.map(column => column.cell(row)))),
  ]
    .map(text => `${text}\n`)
    .join('');
}

type ClusterRow = ModuleStatusTables['cluster_modules'][number];
type DatabaseRow = ModuleStatusTables['database_modules'][number];

/** Which of rladmin's `extra` columns to add: `compatible_redis_version` (or `all`, the same here). */
export type ModuleStatusExtra = 'compatible_redis_version' | 'all';

/** `rladmin status modules`: CLUSTER MODULES then DATABASE MODULES, exactly in its columns. */
export function renderModuleStatus(tables: ModuleStatusTables, extra?: ModuleStatusExtra): string {
  const cluster: Column<ClusterRow>[] = [
    { header: 'MODULE', minWidth: 17, cell: row => row.module },
    { header: 'VERSION', minWidth: 10, cell: row => row.version },
    { header: 'MIN_REDIS_VERSION', minWidth: 19, cell: row => row.min_redis_version },
    ...(extra
      ? [{ header: 'COMPATIBLE_REDIS_VERSION', minWidth: 26, cell: (row: ClusterRow) => row.compatible_redis_version }]
      : []),
    { header: 'ID', minWidth: 0, cell: row => row.id },
  ];
  const database: Column<DatabaseRow>[] = [
    { header: 'DB:ID', minWidth: 11, cell: row => row.db },
    { header: 'NAME', minWidth: 17, cell: row => row.name },
    { header: 'MODULE', minWidth: 18, cell: row => row.module },
    { header: 'VERSION', minWidth: 9, cell: row => row.version },
    { header: 'ARGS', minWidth: 18, cell: row => row.args },
    { header: 'STATUS', minWidth: 0, cell: row => row.status },
  ];
  return (
    rladminTable('CLUSTER MODULES:', cluster, tables.cluster_modules) +
    rladminTable('DATABASE MODULES:', database, tables.database_modules)
  );
}
