import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  errorMiddleware,
  notFoundHandler,
  requestLogger,
  pathTo,
  routes,
  toModuleObject,
  type ActionStore,
  type Authenticator,
  type BdbObject,
  type ModuleObject,
  type NodeView,
  type PublicUser,
  type Role,
} from '@modfleet/common';
import { createFakeActionStore } from '@modfleet/common/testing';
import { api } from '../helpers/http.js';
import { bdbGuardRoutes, bdbRoutes, v1ActionRoutes, v1ModuleUploadGoneRoutes } from '@modfleet/coordinator';
import { createFakeBdbStore, createFakeEventLog, type FakeBdbStore } from '@modfleet/coordinator/testing';
import express from 'express';

/** Any `<role>@test` logs in with any password: the routes' permissions are what is tested. */
const roleAuth: Authenticator = {
  verify(email) {
    const role = email.split('@')[0] as Role;
    const user: PublicUser = {
      uid: 1,
      email,
      name: role,
      role,
      auth_method: 'regular',
      status: 'active',
      password_issue_date: '',
    };
    return Promise.resolve(user);
  },
  invalidate() {},
};

export const as = (role: Role) => ({ email: `${role}@test`, password: 'any-password' });

export interface FakeNode {
  uid: number;
  host: string;
  status?: 'active' | 'down';
  total_memory?: number;
  artifacts?: string[];
}

export function moduleVersion(
  name: string,
  version: number,
  redis: { compatible?: string; min?: string } = {},
): ModuleObject {
  return toModuleObject(
    {
      module_name: name,
      version,
      semantic_version: `${Math.floor(version / 10000)}.${Math.floor(version / 100) % 100}.${version % 100}`,
      display_name: name,
      commands: [],
      command_line_args: '',
      capabilities: [],
      min_redis_version: redis.min ?? '6.0',
      ...(redis.compatible && { compatible_redis_version: redis.compatible }),
    },
    `${name}-${version}`.padEnd(32, '0'),
  );
}

export interface BdbHarness {
  url: string;
  store: FakeBdbStore;
  actions: ActionStore;
  nodes: FakeNode[];
  modules: ModuleObject[];
  close(): Promise<void>;
}

/** The bdb and v1 action routes in process, on fakes: nodes, modules and inventories as the test sets them. */
export async function startBdbRoutes(setup: {
  nodes: FakeNode[];
  modules: ModuleObject[];
  dbPorts?: [number, number][];
  now?: () => number;
}): Promise<BdbHarness> {
  const store = createFakeBdbStore();
  const actions = createFakeActionStore();
  const nodeView = (node: FakeNode) =>
    ({
      uid: node.uid,
      url: `https://${node.host}:9443`,
      status: node.status ?? 'active',
      total_memory: node.total_memory ?? 8 * 1024 ** 3,
      supported_database_versions: [{ db_type: 'redis', version: '7.0.15', redis_version: '7.0' }],
    }) as NodeView;
  const app = express();
  app.use(requestLogger(createLogger({ name: 'test', level: 'silent' })));
  const deps = {
    auth: roleAuth,
    store,
    modules: { list: () => Promise.resolve(setup.modules) },
    nodes: { list: () => Promise.resolve(setup.nodes.map(nodeView)) },
    inventory: {
      read: (uid: number) =>
        Promise.resolve(
          new Map((setup.nodes.find(n => n.uid === uid)?.artifacts ?? []).map(key => [key, 'a'.repeat(64)])),
        ),
    },
    dbPorts: setup.dbPorts ?? [[12000, 12009]],
    events: createFakeEventLog(),
    ...(setup.now && { now: setup.now }),
  };
  app.use(bdbGuardRoutes({ auth: roleAuth, store }));
  // Stand-ins for the routes the guards protect: reached only when a guard lets the request through.
  for (const route of [routes.userDefinedModule, routes.fleetArtifact, routes.node]) {
    app.delete(route, (_req, res) => void res.json({ passed: true }));
  }
  app.use(bdbRoutes(deps));
  app.use(v1ActionRoutes({ auth: roleAuth, actions, bdbs: store, ...(setup.now && { now: setup.now }) }));
  app.use(v1ModuleUploadGoneRoutes());
  app.use(notFoundHandler());
  app.use(errorMiddleware());
  const server: Server = createServer(app);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    actions,
    nodes: setup.nodes,
    modules: setup.modules,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}

/** A shard report saying the node runs it. */
export const running = (node: number) => ({
  node_uid: node,
  state: 'running' as const,
  updated_at: new Date().toISOString(),
});

/** Two active nodes that hold `artifacts` (ft@10200 by default), with that ft version registered. */
export const twoNodeSetup = (artifacts = ['ft@10200']) => ({
  nodes: [
    { uid: 1, host: '127.0.0.2', artifacts },
    { uid: 2, host: '127.0.0.3', artifacts },
  ],
  modules: [moduleVersion('ft', 10200)],
});

/** POST /v1/bdbs and GET /v1/bdbs/<uid> against the harness the tests have started. */
export function bdbCalls(current: () => BdbHarness) {
  const admin = as('admin');
  return {
    create: (json: unknown, credentials = admin) =>
      api<BdbObject>(`${current().url}${routes.bdbs}`, { method: 'POST', credentials, json }),
    get: (uid: number) => api<BdbObject>(`${current().url}${pathTo(routes.bdb, { uid })}`, { credentials: admin }),
  };
}
