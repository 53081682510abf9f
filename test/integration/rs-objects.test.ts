import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { pathTo, routes, SIGNATURE_HEADER, signRequest, type ModuleObject, type NodeView } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validManifest } from '../helpers/artifact-zip.js';
import { api } from '../helpers/http.js';
import { ADMIN, CLUSTER_SECRET, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { expectRsError } from '../helpers/rs-error.js';

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

/** Every field of RS's module object (objects/module.md) and its JSON type. */
const RS_MODULE_FIELDS: Record<string, JsonType> = {
  uid: 'string',
  author: 'string',
  bigstore_version_2_support: 'boolean',
  capabilities: 'array',
  capability_name: 'string',
  command_line_args: 'string',
  compatible_redis_version: 'string',
  config_command: 'string',
  crdb: 'object',
  dependencies: 'object',
  description: 'string',
  display_name: 'string',
  email: 'string',
  homepage: 'string',
  is_bundled: 'boolean',
  license: 'string',
  min_redis_version: 'string',
  module_file: 'string',
  module_name: 'string',
  semantic_version: 'string',
  sha256: 'string',
  version: 'integer',
};

/** Every field of RS's node object (objects/node.md) and its JSON type. */
const RS_NODE_FIELDS: Record<string, JsonType> = {
  uid: 'integer',
  accept_servers: 'boolean',
  addr: 'string',
  architecture: 'string',
  bigredis_storage_path: 'string',
  bigstore_driver: 'string',
  bigstore_enabled: 'boolean',
  bigstore_size: 'integer',
  cores: 'integer',
  ephemeral_storage_path: 'string',
  ephemeral_storage_size: 'number',
  external_addr: 'array',
  max_listeners: 'integer',
  max_redis_forks: 'integer',
  max_redis_servers: 'integer',
  max_slave_full_syncs: 'integer',
  os_family: 'string',
  os_name: 'string',
  os_semantic_version: 'string',
  os_version: 'string',
  persistent_storage_path: 'string',
  persistent_storage_size: 'number',
  public_addr: 'string',
  rack_id: 'string',
  recovery_path: 'string',
  second_rack_id: 'string',
  shard_count: 'integer',
  shard_list: 'array',
  software_version: 'string',
  status: 'string',
  supported_database_versions: 'array',
  system_time: 'string',
  total_memory: 'integer',
  uptime: 'integer',
  use_internal_ipv6: 'boolean',
};

function jsonType(value: unknown): JsonType | 'null' | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'string' | 'boolean' | 'object' | 'undefined';
}

function expectFields(object: Record<string, unknown>, fields: Record<string, JsonType>): void {
  for (const [field, type] of Object.entries(fields)) {
    const actual = jsonType(object[field]);
    // JSON has one number type: an integer-valued `number` field is still a number.
    const ok = actual === type || (type === 'number' && actual === 'integer');
    expect(ok, `${field}: expected ${type}, got ${actual}`).toBe(true);
  }
}

const AGENT_VERSION = (
  JSON.parse(readFileSync(new URL('../../packages/agent/package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe('RS-shaped module objects', () => {
  let cluster: TestCluster;
  let url: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    url = cluster.coordinator.url;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const create = (body: Record<string, unknown>) =>
    api<ModuleObject>(`${url}${routes.userDefinedModules}`, { method: 'POST', credentials: ADMIN, json: body });

  it('carries every documented field with its type, RS defaults where the body is silent', async () => {
    const created = await create({
      ...validManifest({ module_name: 'Plain', dependencies: undefined }),
      display_name: 'Plain',
      command_line_args: '',
    });
    expect(created.status).toBe(200);
    expectFields(created.body, RS_MODULE_FIELDS);
    expect(created.body).toMatchObject({
      author: '',
      bigstore_version_2_support: false,
      capability_name: '',
      compatible_redis_version: '',
      config_command: '',
      crdb: {},
      dependencies: {},
      description: '',
      email: '',
      homepage: '',
      is_bundled: false,
      license: '',
      module_file: '',
      sha256: '',
    });
    expect(created.body.uid).toMatch(/^[0-9a-f]{32}$/);
    const listed = await api<ModuleObject[]>(`${url}${routes.modules}`, { credentials: ADMIN });
    expect(listed.body.find(module => module.uid === created.body.uid)).toEqual(created.body);
  });

  it('fills the fields from a module.json that has them, dependency names becoming RS’s dependency object', async () => {
    const manifest = validManifest({
      module_name: 'Rich',
      display_name: 'Rich Module',
      command_line_args: 'MAXSIZE 10',
      author: 'Redis',
      email: 'modules@example.com',
      description: 'A module with every field',
      homepage: 'https://example.com/rich',
      license: 'MIT',
      capability_name: 'Search and query',
      compatible_redis_version: '7.4',
      config_command: 'RICH.CONFIG',
      module_file: 'rich.so',
      sha256: 'ab'.repeat(32),
      bigstore_version_2_support: true,
      crdb: { supported_featureset_versions: [1, 2] },
      dependencies: ['libfoo'],
    });
    const created = await create(manifest);
    expect(created.status).toBe(200);
    expectFields(created.body, RS_MODULE_FIELDS);
    const { dependencies: _names, ...rest } = manifest;
    expect(created.body).toMatchObject({ ...rest, dependencies: { libfoo: {} }, is_bundled: false });
    const read = await api<ModuleObject>(`${url}${pathTo(routes.module, { uid: created.body.uid })}`, {
      credentials: ADMIN,
    });
    expect(read.body).toEqual(created.body);
  });

  it.each([
    ['author', 42],
    ['license', ['MIT']],
    ['crdb', 'none'],
    ['dependencies', 'libfoo'],
    ['bigstore_version_2_support', 'yes'],
  ])('refuses %s of the wrong type with 406 invalid_module', async (field, value) => {
    const body = { ...validManifest({ module_name: `Bad-${field}` }), display_name: 'x', command_line_args: '' };
    const res = await create({ ...body, [field]: value });
    expect(expectRsError(res, 406, 'invalid_module').description).toContain(field);
  });
});

describe('RS-shaped node objects', () => {
  let cluster: TestCluster;
  let url: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    url = cluster.coordinator.url;
    await cluster.agents[0]!.registered;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('carries every documented field, the host facts as the agent read them', async () => {
    const res = await api<NodeView>(`${url}${pathTo(routes.node, { uid: 1 })}`, { credentials: ADMIN });
    expect(res.status).toBe(200);
    expectFields(res.body as unknown as Record<string, unknown>, RS_NODE_FIELDS);
    const dataDir = resolve(cluster.agentConfigs[0]!.dataDir);
    const redisVersion = /v=(\d+\.\d+\.\d+)/.exec(
      execFileSync('redis-server', ['--version'], { encoding: 'utf8' }),
    )?.[1];
    expect(res.body).toMatchObject({
      uid: 1,
      status: 'active',
      accept_servers: true,
      architecture: { x64: 'x86_64', arm64: 'aarch64' }[arch()] ?? arch(),
      cores: cpus().length,
      total_memory: totalmem(),
      software_version: AGENT_VERSION,
      persistent_storage_path: dataDir,
      ephemeral_storage_path: `${dataDir}/tmp`,
      shard_count: 0,
      shard_list: [],
      external_addr: [],
      rack_id: '',
      max_redis_forks: -1,
      max_slave_full_syncs: -1,
      use_internal_ipv6: false,
      supported_database_versions: [
        { db_type: 'redis', version: redisVersion, redis_version: redisVersion!.split('.').slice(0, 2).join('.') },
      ],
    });
    expect(res.body.persistent_storage_size).toBeGreaterThan(0);
    expect(res.body.os_version).not.toBe('');
    expect(res.body.uptime).toBeGreaterThan(0);
    expect(Date.parse(res.body.system_time)).not.toBeNaN();
    // modfleet's own fields stay beside RS's.
    expect(Date.parse(res.body.registered_at)).not.toBeNaN();
    expect(Date.parse(res.body.last_heartbeat!)).not.toBeNaN();

    const list = await api<NodeView[]>(`${url}${routes.nodes}`, { credentials: ADMIN });
    expect(Object.keys(list.body[0]!).sort()).toEqual(Object.keys(res.body).sort());
  });

  it('shows RS defaults for a node whose agent reported no host facts', async () => {
    const path = routes.nodeRegister;
    const json = { uid: 7, addr: 'http://127.0.0.1:1', instance_id: 'instance-without-facts' };
    const registered = await api<{ uid: number }>(`${url}${path}`, {
      method: 'POST',
      json,
      headers: { [SIGNATURE_HEADER]: signRequest(CLUSTER_SECRET, 'POST', path, JSON.stringify(json)) },
    });
    expect(registered.status).toBe(200);
    const res = await api<NodeView>(`${url}${pathTo(routes.node, { uid: 7 })}`, { credentials: ADMIN });
    expectFields(res.body as unknown as Record<string, unknown>, RS_NODE_FIELDS);
    expect(res.body).toMatchObject({
      architecture: '',
      cores: 0,
      total_memory: 0,
      os_version: '',
      software_version: '',
      uptime: 0,
      supported_database_versions: [],
    });
  });

  it('refuses host facts of the wrong type at registration', async () => {
    const path = routes.nodeRegister;
    const json = { addr: 'http://127.0.0.1:2', instance_id: 'instance-bad-facts', host: { cores: 'many' } };
    const res = await api(`${url}${path}`, {
      method: 'POST',
      json,
      headers: { [SIGNATURE_HEADER]: signRequest(CLUSTER_SECRET, 'POST', path, JSON.stringify(json)) },
    });
    expectRsError(res, 406, 'invalid_schema');
  });
});
