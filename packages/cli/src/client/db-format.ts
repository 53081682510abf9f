import type { BdbObject, ShardObject } from '@modfleet/common/contract';
import { UsageError } from './client-context.js';
import { plainColors, renderTable, type Colors } from './output.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `100MB`, `1.5GiB`, `1048576` → bytes (MB = 10^6, MiB = 2^20, as RS's UI spells them). */
export function parseMemory(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match && UNITS[match[2]!.toLowerCase()];
  if (!match || unit === undefined || unit === null) {
    throw new UsageError('invalid_memory', `--memory ${text}: give bytes or a size such as 100MB or 1GiB`);
  }
  return Math.round(Number(match[1]) * unit);
}

export interface ModuleSpec {
  module_name: string;
  module_args: string;
  semantic_version?: string;
}

/** redisctl's `name[@version][:args]`: `ft`, `ft@1.2.0`, `ft:MAXDOCTABLESIZE 1000`. */
export function parseModuleSpec(text: string): ModuleSpec {
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon);
  const args = colon < 0 ? '' : text.slice(colon + 1);
  const [name, version] = head.split('@');
  if (!name) throw new UsageError('invalid_module', `--module ${text}: expected name[@version][:args]`);
  return { module_name: name, module_args: args, ...(version && { semantic_version: version }) };
}

export const endpointOf = (bdb: BdbObject) => {
  const endpoint = bdb.endpoints[0];
  return endpoint ? `${endpoint.addr[0] ?? ''}:${endpoint.port}` : '';
};

const modulesOf = (bdb: BdbObject) => bdb.module_list.map(m => `${m.module_name}@${m.semantic_version}`).join(', ');

function statusText(status: string, c: Colors): string {
  if (status === 'active') return c.green(status);
  if (status === 'creation-failed') return c.red(status);
  return c.yellow(status);
}

export function renderBdbs(bdbs: BdbObject[], c: Colors = plainColors): string {
  if (bdbs.length === 0) return 'No database yet: modfleet db create NAME --memory 100MB --module <name>\n';
  return renderTable(
    ['uid', 'name', 'status', 'endpoint', 'modules', 'replication'],
    bdbs.map(bdb => [
      String(bdb.uid),
      bdb.name,
      statusText(bdb.status, c),
      endpointOf(bdb),
      modulesOf(bdb),
      bdb.replication ? 'yes' : 'no',
    ]),
  );
}

export function renderBdb(bdb: BdbObject, c: Colors = plainColors): string {
  const rows: [string, string][] = [
    ['uid', String(bdb.uid)],
    ['name', bdb.name],
    ['status', statusText(bdb.status, c) + (bdb.status_reason ? `: ${bdb.status_reason}` : '')],
    ['endpoint', endpointOf(bdb)],
    ['memory', `${bdb.memory_size} bytes`],
    ['redis', bdb.version],
    ['modules', bdb.module_list.map(m => `${m.module_name}@${m.semantic_version} ${m.module_args}`.trim()).join(', ')],
    ['replication', bdb.replication ? 'yes' : 'no'],
    ['persistence', bdb.data_persistence],
    ['shards', bdb.shard_list.join(', ')],
  ];
  return renderTable(['field', 'value'], rows);
}

export function renderShards(shards: ShardObject[], c: Colors = plainColors): string {
  return renderTable(
    ['shard', 'role', 'node', 'port', 'status', 'detail'],
    shards.map(s => [
      s.uid,
      s.role,
      s.node_uid,
      String(s.port),
      s.status === 'active' ? c.green(s.status) : c.red(s.status),
      s.detailed_status,
    ]),
  );
}
