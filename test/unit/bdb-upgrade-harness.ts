import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  errorMiddleware,
  notFoundHandler,
  requestLogger,
  type BdbModuleEntry,
  type ModuleObject,
  type UpgradePreflight,
} from '@modfleet/common';
import { upgradeRoutes, type BdbRecord, type UpgradeJobData } from '@modfleet/coordinator';
import { createFakeBdbStore, createFakeEventLog, type FakeBdbStore } from '@modfleet/coordinator/testing';
import express from 'express';
import { moduleVersion } from './bdb-routes-harness.js';

export const MFVER = [10000, 10100, 20000].map(v => moduleVersion('mfver', v, { compatible: '7.0' }));

export const entryOf = (module: ModuleObject, args = ''): BdbModuleEntry => ({
  module_name: module.module_name,
  module_args: args,
  module_id: module.uid,
  semantic_version: module.semantic_version,
});

/** A stored database running `module` on nodes 1 (master) and 2 (replica, when replicated). */
export function bdbRecord(
  module: ModuleObject,
  options: Partial<Pick<BdbRecord, 'replication' | 'data_persistence' | 'status' | 'last_upgrade'>> & {
    args?: string;
  } = {},
): BdbRecord {
  const replication = options.replication ?? true;
  const modules = [{ module_name: module.module_name, version: module.version, module_args: options.args ?? '' }];
  const plan = (shard: number, port: number, role: 'master' | 'slave') => ({
    shard_uid: shard,
    bdb_uid: 1,
    role,
    port,
    memory_size: 0,
    data_persistence: options.data_persistence ?? 'disabled',
    modules,
    ...(role === 'slave' && { replica_of: { host: '127.0.0.2', port: 12000 } }),
  });
  return {
    uid: 1,
    name: 'db',
    type: 'redis',
    status: options.status ?? 'active',
    memory_size: 0,
    port: 0,
    endpoints: [
      {
        uid: '1:1',
        addr: ['127.0.0.2'],
        addr_type: 'external',
        dns_name: '127.0.0.2',
        port: 12000,
        proxy_policy: 'single',
      },
    ],
    module_list: [entryOf(module, options.args)],
    redis_version: '7.0',
    version: '7.0.15',
    replication,
    data_persistence: options.data_persistence ?? 'disabled',
    shards_count: 1,
    sharding: false,
    shards_placement: 'dense',
    shard_list: replication ? [1, 2] : [1],
    created_time: '2026-01-01T00:00:00.000Z',
    last_changed_time: '2026-01-01T00:00:00.000Z',
    ...(options.last_upgrade && { last_upgrade: options.last_upgrade }),
    placement: [
      { node_uid: 1, plan: plan(1, 12000, 'master') },
      ...(replication ? [{ node_uid: 2, plan: plan(2, 12001, 'slave') }] : []),
    ],
  };
}

export const passingPreflight: UpgradePreflight = { ok: true, shards: [], rollback: 'possible' };

export interface UpgradeHarness {
  url: string;
  store: FakeBdbStore;
  queued: UpgradeJobData[];
  preflightCalls: number;
  events: ReturnType<typeof createFakeEventLog>;
  close(): Promise<void>;
}

/** The upgrade routes on fakes: the record stored as given, a pre-flight answering `preflight`. */
export async function startUpgradeRoutes(setup: {
  record: BdbRecord;
  modules?: ModuleObject[];
  /** artifact keys each node holds (default: every mfver version on both). */
  artifacts?: Record<number, string[]>;
  preflight?: UpgradePreflight;
}): Promise<UpgradeHarness> {
  const store = createFakeBdbStore();
  const { placement, ...rest } = setup.record;
  await store.create(
    { ...rest, placement },
    {
      action_uid: 'create',
      name: 'SMCreateBDB',
      object_name: 'bdb:1',
      status: 'completed',
      progress: 100,
      heartbeat: 0,
      creation_time: 0,
    },
  );
  const all = ['mfver@10000', 'mfver@10100', 'mfver@20000'];
  const artifacts = setup.artifacts ?? { 1: all, 2: all };
  const harness = { queued: [] as UpgradeJobData[], preflightCalls: 0, events: createFakeEventLog() };
  const app = express();
  app.use(requestLogger(createLogger({ name: 'test', level: 'silent' })));
  app.use(
    upgradeRoutes({
      auth: {
        verify: email =>
          Promise.resolve({
            uid: 1,
            email,
            name: 'x',
            role: email.split('@')[0] as 'admin',
            auth_method: 'regular',
            status: 'active',
            password_issue_date: '',
          }),
        invalidate() {},
      },
      store,
      modules: { list: () => Promise.resolve(setup.modules ?? MFVER) },
      inventory: { read: uid => Promise.resolve(new Map((artifacts[uid] ?? []).map(key => [key, 'a'.repeat(64)]))) },
      preflight: {
        run: () => {
          harness.preflightCalls++;
          return Promise.resolve(setup.preflight ?? passingPreflight);
        },
      },
      upgrades: {
        enqueue: job => {
          harness.queued.push(job);
          return Promise.resolve();
        },
      },
      events: harness.events,
    }),
  );
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  const server: Server = createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(harness, {
    url: `http://127.0.0.1:${port}`,
    store,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  });
}
