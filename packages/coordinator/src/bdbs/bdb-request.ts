import { BadRequestError, DATA_PERSISTENCE, NotAcceptableError, type DataPersistence } from '@modfleet/common';

/** One module_list entry as clients send it (redisctl: name and args only). */
export interface RequestedModule {
  module_name: string;
  module_args: string;
  /** Accepted as RS does (deprecated there): a version the client wants. */
  semantic_version?: string;
}

/** A POST /v1/bdbs body, checked. */
export interface BdbRequest {
  uid?: number;
  name: string;
  memory_size: number;
  /** undefined: the cluster picks one (RS: 0 or absent). */
  port?: number;
  replication: boolean;
  data_persistence: DataPersistence;
  redis_version?: string;
  module_list: RequestedModule[];
}

const refuse = (code: string, description: string) => new NotAcceptableError(code, description);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isWhole = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/** RS's database name rule: letters, digits and hyphens, starting and ending with a letter or digit. */
const DB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** RS's module_args pattern forbids these (they would reach a shell or a config file). */
const FORBIDDEN_ARG_CHARS = /[&<>"]/;

function parseModuleList(raw: unknown): RequestedModule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw refuse('invalid_module_list', 'module_list must be a list of {module_name, module_args}');
  return raw.map((entry: unknown, index) => {
    if (!isObject(entry) || typeof entry.module_name !== 'string' || entry.module_name === '') {
      throw refuse('missing_module', `module_list[${index}] needs a module_name`);
    }
    const args = entry.module_args ?? '';
    if (typeof args !== 'string')
      throw refuse('invalid_module_args', `module_list[${index}].module_args must be a string`);
    if (FORBIDDEN_ARG_CHARS.test(args)) {
      throw refuse('invalid_module_args', `module_list[${index}].module_args may not contain & < > or "`);
    }
    const version = entry.semantic_version;
    if (version !== undefined && typeof version !== 'string') {
      throw refuse('invalid_module_list', `module_list[${index}].semantic_version must be a string`);
    }
    return { module_name: entry.module_name, module_args: args, ...(version && { semantic_version: version }) };
  });
}

function refuseSharding(body: Record<string, unknown>) {
  const shards = body.shards_count;
  if (shards !== undefined && shards !== 1) {
    throw refuse(
      'invalid_sharding',
      'modfleet runs one shard per database (and its replica) with no proxy: shards_count must be 1',
    );
  }
  if (body.sharding === true) {
    throw refuse(
      'invalid_sharding',
      'modfleet runs one shard per database (and its replica) with no proxy: sharding must be false',
    );
  }
}

/** Checks a create body as RS does, each problem with RS's error code; unknown fields are ignored. */
export function parseBdbRequest(body: unknown): BdbRequest {
  if (!isObject(body)) throw new BadRequestError('bad_request', 'The body must be a JSON object');
  const type = body.type ?? 'redis';
  const modules = parseModuleList(body.module_list);
  if (type === 'memcached' && modules.length > 0) {
    throw refuse('memcached_cannot_use_modules', 'A memcached database cannot use modules');
  }
  if (type !== 'redis') throw refuse('invalid_type', 'modfleet runs databases of type redis only');
  if (body.name === undefined || body.name === '') throw refuse('missing_db_name', 'The database needs a name');
  if (typeof body.name !== 'string' || !DB_NAME.test(body.name)) {
    throw refuse(
      'invalid_name',
      'name must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit',
    );
  }
  if (body.memory_size === undefined) throw refuse('missing_memory_size', 'The database needs a memory_size (bytes)');
  if (!isWhole(body.memory_size) || body.memory_size < 0) {
    throw refuse('invalid_memory_size', 'memory_size must be a whole number of bytes (0: no limit)');
  }
  refuseSharding(body);
  const { uid, port, replication = false, data_persistence = 'disabled', redis_version } = body;
  if (uid !== undefined && (!isWhole(uid) || uid < 1)) throw refuse('invalid_uid', 'uid must be a whole number from 1');
  if (port !== undefined && (!isWhole(port) || port < 0 || port > 65535)) {
    throw refuse('port_unavailable', 'port must be a port number (0: the cluster picks one)');
  }
  if (typeof replication !== 'boolean') throw refuse('invalid_replication', 'replication must be true or false');
  if (!DATA_PERSISTENCE.includes(data_persistence as DataPersistence)) {
    throw refuse('invalid_data_persistence', `data_persistence must be one of ${DATA_PERSISTENCE.join(', ')}`);
  }
  if (redis_version !== undefined && (typeof redis_version !== 'string' || !/^\d+\.\d+$/.test(redis_version))) {
    throw refuse('invalid_version', 'redis_version must be major.minor, such as "7.2"');
  }
  return {
    ...(uid !== undefined && { uid }),
    name: body.name,
    memory_size: body.memory_size,
    ...(isWhole(port) && port > 0 && { port }),
    replication,
    data_persistence: data_persistence as DataPersistence,
    ...(redis_version !== undefined && { redis_version }),
    module_list: modules,
  };
}
