import { clusterRouteTemplates, COORDINATOR_UNAVAILABLE, startAgent, type RunningAgent } from '@modfleet/agent';
import { createLogger, pathTo, routes, type ModuleObject } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, basicAuth, type ApiResponse, type Credentials } from '../helpers/http.js';
import { ADMIN, agentConfig, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { freePort } from '../helpers/processes.js';
import { deletePrefix, uniquePrefix } from '../helpers/redis.js';
import { createRoleUsers } from '../helpers/role-users.js';
import { expectRsError } from '../helpers/rs-error.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const moduleDefinition = {
  module_name: 'ForwardedModule',
  version: 7,
  semantic_version: '0.0.7',
  display_name: 'Forwarded Module',
  commands: [{ command_name: 'fwd.cmd', command_arity: -1, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
  command_line_args: '',
  capabilities: ['types'],
  min_redis_version: '7.0',
};

const silent = createLogger({ name: 'agent', level: 'silent' });

/** Fields that move between two reads a moment apart (heartbeats, clocks). */
const VOLATILE = new Set(['last_heartbeat', 'system_time', 'uptime']);

function steady(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(steady);
  if (body && typeof body === 'object') {
    return Object.fromEntries(
      Object.entries(body as Record<string, unknown>)
        .filter(([key]) => !VOLATILE.has(key))
        .map(([key, value]) => [key, steady(value)]),
    );
  }
  return body;
}

/** A concrete path for any template: each parameter becomes a value no object has. */
function samplePath(template: string): string {
  return template.replace(/:(\w+)/g, (_match, name: string) => (name === 'version' ? '999' : `no-such-${name}`));
}

describe('an agent answers every cluster route as the coordinator does', () => {
  let cluster: TestCluster;
  let coordinator: string;
  let agent: string;
  let users: Awaited<ReturnType<typeof createRoleUsers>>;

  const both = async (
    path: string,
    options: Parameters<typeof api>[1] = {},
  ): Promise<[ApiResponse<unknown>, ApiResponse<unknown>]> => [
    await api(`${agent}${path}`, options),
    await api(`${coordinator}${path}`, options),
  ];

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    coordinator = cluster.coordinator.url;
    agent = cluster.agents[0]!.url;
    await cluster.agents[0]!.registered;
    users = await createRoleUsers(coordinator);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('forwards every cluster route of the contract and none of the local ones', () => {
    expect(clusterRouteTemplates).toEqual(
      expect.arrayContaining([
        routes.cluster,
        routes.users,
        routes.user,
        routes.nodes,
        routes.node,
        routes.modules,
        routes.module,
        routes.userDefinedModules,
        routes.userDefinedModule,
        routes.actions,
        routes.action,
        routes.fleetArtifacts,
        routes.fleetArtifact,
        routes.fleetSync,
      ]),
    );
    expect(clusterRouteTemplates.filter(template => template.includes('/local/'))).toEqual([]);
  });

  it.each(clusterRouteTemplates)('%s without credentials: the coordinator’s answer', async template => {
    const [viaAgent, direct] = await both(samplePath(template));
    expect(viaAgent.status).toBe(direct.status);
    expect(viaAgent.body).toEqual(direct.body);
    expect(viaAgent.headers.get('www-authenticate')).toBe(direct.headers.get('www-authenticate'));
  });

  it.each([
    routes.cluster,
    routes.users,
    pathTo(routes.user, { uid: 1 }),
    routes.nodes,
    pathTo(routes.node, { uid: 1 }),
    routes.modules,
    routes.actions,
    routes.fleetArtifacts,
    `${routes.actions}?limit=1`,
  ])('GET %s as admin: same status and body', async path => {
    const [viaAgent, direct] = await both(path, { credentials: ADMIN });
    expect(direct.status).toBe(200);
    expect(viaAgent.status).toBe(200);
    expect(viaAgent.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(steady(viaAgent.body)).toEqual(steady(direct.body));
  });

  it('creates, reads and deletes a CCS module object through the agent', async () => {
    const created = await api<ModuleObject>(`${agent}${routes.userDefinedModules}`, {
      method: 'POST',
      credentials: ADMIN,
      json: moduleDefinition,
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ module_name: 'ForwardedModule', version: 7 });
    const path = pathTo(routes.module, { uid: created.body.uid });
    const [viaAgent, direct] = await both(path, { credentials: users.db_viewer });
    expect(viaAgent.status).toBe(200);
    expect(viaAgent.body).toEqual(direct.body);
    expect(viaAgent.body).toEqual(created.body);

    const deleted = await api(`${agent}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`, {
      method: 'DELETE',
      credentials: ADMIN,
    });
    expect(deleted.status).toBe(200);
    expectRsError(await api(`${coordinator}${path}`, { credentials: ADMIN }), 404, 'module_not_exist');
  });

  it('keeps the RS error bodies: 401, 403, 404, 406', async () => {
    const wrong: Credentials = { email: ADMIN.email, password: 'not-the-password' };
    const cases: [string, Parameters<typeof api>[1], number][] = [
      [routes.modules, { credentials: wrong }, 401],
      [routes.modules, { credentials: users.none }, 403],
      [routes.userDefinedModules, { method: 'POST', credentials: users.cluster_member, json: moduleDefinition }, 403],
      [pathTo(routes.module, { uid: 'f'.repeat(32) }), { credentials: ADMIN }, 404],
      [pathTo(routes.userDefinedModule, { uid: 'f'.repeat(32) }), { method: 'DELETE', credentials: ADMIN }, 404],
      [routes.userDefinedModules, { method: 'POST', credentials: ADMIN, json: {} }, 406],
      [routes.users, { method: 'POST', credentials: ADMIN, json: { email: 'x@test.local', role: 'emperor' } }, 406],
    ];
    for (const [path, options, status] of cases) {
      const [viaAgent, direct] = await both(path, options);
      const body = expectRsError(viaAgent, status);
      expect(body).toEqual(direct.body);
      expect(viaAgent.headers.get('www-authenticate')).toBe(direct.headers.get('www-authenticate'));
    }
  });

  it('answers a request id the caller chose with the same id', async () => {
    const res = await fetch(`${agent}${routes.modules}`, {
      headers: { authorization: basicAuth(ADMIN), 'x-request-id': 'forwarded-request-1' },
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('forwarded-request-1');
  });

  it('counts forwarded requests in its metrics under their route template', async () => {
    const metrics = await fetch(`${agent}${routes.metrics}`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/route="\/v1\/modules\/:uid"/);
  });

  it('still serves its local routes itself', async () => {
    const local = await api(`${agent}${routes.localArtifacts}`, { credentials: ADMIN });
    expect(local).toMatchObject({ status: 200, body: [] });
    const onCoordinator = await api(`${coordinator}${routes.localArtifacts}`, { credentials: ADMIN });
    expect(onCoordinator.status).toBe(404);
  });
});

describe('an agent whose coordinator cannot be reached', () => {
  let prefix: string;
  let dataDir: string;
  const started: RunningAgent[] = [];

  const start = async (node: number, coordinatorUrl: string | undefined) => {
    const running = await startAgent(
      agentConfig(prefix, dataDir, node, { coordinatorUrl: coordinatorUrl ? [coordinatorUrl] : undefined }),
      silent,
    );
    started.push(running);
    return running.httpUrl!;
  };

  beforeAll(async () => {
    prefix = uniquePrefix();
    dataDir = await makeTmpDir();
  });

  afterAll(async () => {
    await Promise.allSettled(started.map(running => running.stop(1_000)));
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  it(`answers 503 ${COORDINATOR_UNAVAILABLE} when nothing listens at the coordinator's address`, async () => {
    const url = await start(1, `http://127.0.0.1:${await freePort()}`);
    expectRsError(await api(`${url}${routes.modules}`, { credentials: ADMIN }), 503, COORDINATOR_UNAVAILABLE);
    const upload = await api(`${url}${routes.userDefinedModules}`, {
      method: 'POST',
      credentials: ADMIN,
      json: moduleDefinition,
    });
    expectRsError(upload, 503, COORDINATOR_UNAVAILABLE);
    // Its own routes still work: the node's local API does not need the coordinator.
    expect(await api(`${url}${routes.localArtifacts}`, { credentials: ADMIN })).toMatchObject({ status: 401 });
  });

  it(`answers 503 ${COORDINATOR_UNAVAILABLE} when it runs standalone`, async () => {
    const url = await start(2, undefined);
    expectRsError(await api(`${url}${routes.nodes}`), 503, COORDINATOR_UNAVAILABLE);
  });
});
