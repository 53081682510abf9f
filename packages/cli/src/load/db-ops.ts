import { routes, type BdbObject, type DataPersistence } from '@modfleet/common/contract';
import { Redis, ReplyError } from 'ioredis';
import { ConnectionError, type ApiClient } from '../client/api-client.js';
import { UsageError } from '../client/client-context.js';
import { DbReplyError, type LatencySummary, type LoadStats } from './load-stats.js';

/** A database the `db` operation sends commands to, at its endpoint. */
export interface LoadDatabase {
  uid: number;
  name: string;
  host: string;
  port: number;
  dataPersistence: DataPersistence;
}

/** What the report shows for each database: all its commands together. */
export interface DatabaseSummary {
  uid: number;
  name: string;
  endpoint: string;
  requests: number;
  errors: number;
  per_second: number;
}

/** Each `--db` (a uid, or a name exactly one database has) as an active database with an endpoint. */
export async function resolveLoadDatabases(client: ApiClient, refs: string[]): Promise<LoadDatabase[]> {
  const bdbs = await client.get<BdbObject[]>(routes.bdbs);
  const found = new Map<number, LoadDatabase>();
  for (const ref of refs) {
    const matches = bdbs.filter(bdb => (/^\d+$/.test(ref) ? bdb.uid === Number(ref) : bdb.name === ref));
    if (matches.length !== 1)
      throw new UsageError(
        matches.length === 0 ? 'db_not_exist' : 'ambiguous_name',
        matches.length === 0
          ? `--db ${ref}: no such database`
          : `--db ${ref}: ${matches.length} databases are named so; give the uid`,
      );
    const bdb = matches[0]!;
    const endpoint = bdb.endpoints[0];
    if (bdb.status !== 'active' || !endpoint?.addr[0])
      throw new UsageError('db_not_active', `--db ${ref}: database ${bdb.uid} is ${bdb.status}, not active`);
    found.set(bdb.uid, {
      uid: bdb.uid,
      name: bdb.name,
      host: endpoint.addr[0],
      port: endpoint.port,
      dataPersistence: bdb.data_persistence,
    });
  }
  return [...found.values()];
}

export const opName = (db: LoadDatabase, command: string) => `db ${db.name} ${command.toUpperCase()}`;
const endpointOf = (db: LoadDatabase) => `${db.host}:${db.port}`;

/**
 * A connection that fails a command at once while the shard is away (no offline queue, no resend),
 * so a killed shard shows as errors without an answer, and reconnects every 100 ms until it is back.
 */
export const dbConnection = (db: Pick<LoadDatabase, 'host' | 'port'>) =>
  new Redis({
    host: db.host,
    port: db.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 10_000,
    retryStrategy: () => 100,
  });

/** A reply error by its first word, anything else as a request without an answer. */
function asLoadError(err: unknown, db: LoadDatabase): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ReplyError) return new DbReplyError(message.split(' ')[0] ?? 'ERR', message);
  return new ConnectionError(`redis://${endpointOf(db)}`, 'db_no_answer', message);
}

const KEYS_PER_DB = 100;

/**
 * The `db` operation: each call sends one command to the next database in turn. Without
 * `--db-command` the commands are PING, SET and GET in turn over this run's own 100 keys
 * (`modfleet-load:<run>:<n>`), deleted again by `close`.
 */
export async function openDbLoad(
  databases: LoadDatabase[],
  commands: string[][] | undefined,
  stats: LoadStats,
  runId: string,
) {
  const connections = databases.map(db => ({ db, redis: dbConnection(db), next: 0, written: new Set<string>() }));
  try {
    await Promise.all(
      connections.map(({ db, redis }) =>
        redis.connect().catch((err: unknown) => {
          throw new UsageError('db_unreachable', `database ${db.name} at ${endpointOf(db)}: ${(err as Error).message}`);
        }),
      ),
    );
  } catch (err) {
    connections.forEach(({ redis }) => redis.disconnect());
    throw err;
  }
  let nextDb = 0;
  const defaultCommand = (turn: number, written: Set<string>): string[] => {
    const key = `modfleet-load:${runId}:${Math.floor(turn / 3) % KEYS_PER_DB}`;
    if (turn % 3 === 0) return ['PING'];
    if (turn % 3 === 1) {
      written.add(key);
      return ['SET', key, String(turn)];
    }
    return ['GET', key];
  };
  return {
    async run(): Promise<void> {
      const connection = connections[nextDb++ % connections.length]!;
      const turn = connection.next++;
      const [name, ...args] = commands ? commands[turn % commands.length]! : defaultCommand(turn, connection.written);
      const op = opName(connection.db, name!);
      const started = performance.now();
      try {
        await connection.redis.call(name!, ...args);
        stats.record(op, performance.now() - started);
      } catch (err) {
        const loadError = asLoadError(err, connection.db);
        stats.record(op, performance.now() - started, loadError);
        throw loadError;
      }
    },
    /** Deletes the keys the default commands wrote, and closes the connections. */
    async close(): Promise<void> {
      await Promise.all(
        connections.map(async ({ redis, written }) => {
          if (written.size > 0) await redis.del(...written).catch(() => 0);
          redis.disconnect();
        }),
      );
    },
  };
}

/** Each database's commands added up, from the report's per-command rows. */
export function summarizeDatabases(
  databases: LoadDatabase[],
  operations: Record<string, LatencySummary>,
): DatabaseSummary[] {
  return databases.map(db => {
    const rows = Object.entries(operations)
      .filter(([op]) => op.startsWith(`db ${db.name} `))
      .map(([, row]) => row);
    const sum = (field: 'count' | 'errors' | 'per_second') => rows.reduce((total, row) => total + row[field], 0);
    return {
      uid: db.uid,
      name: db.name,
      endpoint: endpointOf(db),
      requests: sum('count'),
      errors: sum('errors'),
      per_second: Math.round(sum('per_second') * 100) / 100,
    };
  });
}
