import {
  artifactKey,
  pathTo,
  routes,
  type BdbObject,
  type LogEvent,
  type NodeHostFacts,
  type Role,
} from '@modfleet/common';
import { createFakeBdbStore } from '@modfleet/coordinator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { createRoleUsers } from '../helpers/role-users.js';
import { expectRsError } from '../helpers/rs-error.js';

// The cluster event log (GET /v1/logs): each fleet push, delete and sync and each database create
// and delete says who made it and from where, in RS's event shape.

const host: NodeHostFacts = {
  architecture: 'x86_64',
  cores: 2,
  total_memory: 8 * 1024 ** 3,
  os_family: 'linux',
  os_name: 'Debian',
  os_semantic_version: '12',
  os_version: 'Debian 12',
  boot_time: new Date().toISOString(),
  software_version: '0.0.0',
  persistent_storage_path: '/tmp',
  persistent_storage_size: 0,
  ephemeral_storage_path: '/tmp',
  ephemeral_storage_size: 0,
  supported_database_versions: [{ db_type: 'redis', version: '7.2.15', redis_version: '7.2' }],
};

describe('GET /v1/logs', () => {
  let coordinator: FakeCoordinator;
  let base: string;
  const users = {} as Record<Role, Credentials>;
  const started: Record<string, string> = {};

  beforeAll(async () => {
    const held = new Map([[artifactKey('ft', 20804), 'a'.repeat(64)]]);
    coordinator = await startFakeCoordinator({
      databases: {
        store: createFakeBdbStore(),
        inventory: { read: () => Promise.resolve(new Map(held)) },
        dbPorts: [[12000, 12009]],
      },
    });
    base = coordinator.url;
    const { services } = coordinator;
    await services.nodes.register({ uid: 1, addr: 'http://127.0.0.2:9443', instance_id: 'agent-1', host });
    await services.modules.create({
      module_name: 'ft',
      version: 20804,
      semantic_version: '2.8.4',
      display_name: 'RediSearch',
      commands: [],
      command_line_args: '',
      capabilities: [],
      min_redis_version: '6.0',
    });
    Object.assign(users, await createRoleUsers(base));

    const zip = await buildArtifactZip({ manifest: { module_name: 'Audited', version: 3 } });
    const push = await api<{ action_uid: string }>(`${base}${routes.fleetArtifacts}?nodes=1`, {
      method: 'POST',
      credentials: ADMIN,
      form: artifactForm(zip),
    });
    expect(push.status, JSON.stringify(push.body)).toBe(202);
    started.push = push.body.action_uid;
    const sync = await api<{ action_uid: string }>(`${base}${routes.fleetSync}`, {
      method: 'POST',
      credentials: ADMIN,
    });
    expect(sync.status).toBe(202);
    started.sync = sync.body.action_uid;
    const removed = await api<{ action_uid: string }>(
      `${base}${pathTo(routes.fleetArtifact, { moduleName: 'Audited', version: '3' })}`,
      { method: 'DELETE', credentials: ADMIN },
    );
    expect(removed.status).toBe(202);
    started.delete = removed.body.action_uid;
    // A database made and dropped by a db_member: the log names that user, not the admin.
    const db = await api<BdbObject>(`${base}${routes.bdbs}`, {
      method: 'POST',
      credentials: users.db_member,
      json: { name: 'audited-db', memory_size: 100 * 1024 ** 2, module_list: [{ module_name: 'ft' }] },
    });
    expect(db.status, JSON.stringify(db.body)).toBe(200);
    started.create = db.body.action_uid!;
    started.bdb = String(db.body.uid);
    const dropped = await api<{ action_uid: string }>(`${base}${pathTo(routes.bdb, { uid: db.body.uid })}`, {
      method: 'DELETE',
      credentials: users.db_member,
    });
    expect(dropped.status).toBe(200);
    started.drop = dropped.body.action_uid;
  });

  afterAll(async () => {
    await coordinator?.stop();
  });

  it('lists who pushed, synced, deleted, created and dropped what, from where, oldest first', async () => {
    const res = await api<LogEvent[]>(`${base}${routes.logs}`, { credentials: ADMIN });

    expect(res.status).toBe(200);
    const time = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as string;
    expect(res.body).toEqual([
      {
        time,
        type: 'module_artifact_push_started',
        severity: 'INFO',
        user: ADMIN.email,
        client_addr: '127.0.0.1',
        action_uid: started.push,
        module_name: 'Audited',
        version: 3,
        nodes: [1],
      },
      {
        time,
        type: 'module_artifacts_sync_started',
        severity: 'INFO',
        user: ADMIN.email,
        client_addr: '127.0.0.1',
        action_uid: started.sync,
      },
      {
        time,
        type: 'module_artifact_delete_started',
        severity: 'INFO',
        user: ADMIN.email,
        client_addr: '127.0.0.1',
        action_uid: started.delete,
        module_name: 'Audited',
        version: 3,
      },
      {
        time,
        type: 'cluster_bdb_created',
        severity: 'INFO',
        user: users.db_member.email,
        client_addr: '127.0.0.1',
        action_uid: started.create,
        bdb_uid: started.bdb,
        bdb_name: 'audited-db',
      },
      {
        time,
        type: 'cluster_bdb_deleted',
        severity: 'INFO',
        user: users.db_member.email,
        client_addr: '127.0.0.1',
        action_uid: started.drop,
        bdb_uid: started.bdb,
        bdb_name: 'audited-db',
      },
    ]);
  });

  it('pages newest first with order=desc, limit and offset, and filters by stime/etime', async () => {
    const page = await api<LogEvent[]>(`${base}${routes.logs}?order=desc&limit=2&offset=1`, { credentials: ADMIN });
    const future = await api<LogEvent[]>(`${base}${routes.logs}?stime=2999-01-01T00:00:00Z`, { credentials: ADMIN });
    const past = await api<LogEvent[]>(`${base}${routes.logs}?etime=2000-01-01T00:00:00Z`, { credentials: ADMIN });

    expect(page.body.map(event => event.type)).toEqual(['cluster_bdb_created', 'module_artifact_delete_started']);
    expect(future.body).toEqual([]);
    expect(past.body).toEqual([]);
  });

  it('lets the roles RS gives view_logged_events read it, and refuses db_viewer, none and no credentials', async () => {
    for (const role of ['cluster_member', 'cluster_viewer', 'db_member', 'user_manager'] as const) {
      const res = await api<LogEvent[]>(`${base}${routes.logs}`, { credentials: users[role] });
      expect(res.status, role).toBe(200);
    }
    expectRsError(await api(`${base}${routes.logs}`, { credentials: users.db_viewer }), 403);
    expectRsError(await api(`${base}${routes.logs}`, { credentials: users.none }), 403);
    expectRsError(await api(`${base}${routes.logs}`), 401);
  });

  it('records nothing for a refused request, and names a wrong parameter', async () => {
    const before = (await api<LogEvent[]>(`${base}${routes.logs}`, { credentials: ADMIN })).body.length;
    const refused = await api(`${base}${routes.fleetSync}`, { method: 'POST', credentials: users.cluster_viewer });
    const after = (await api<LogEvent[]>(`${base}${routes.logs}`, { credentials: ADMIN })).body.length;
    const badOrder = await api(`${base}${routes.logs}?order=up`, { credentials: ADMIN });
    const badTime = await api(`${base}${routes.logs}?stime=yesterday`, { credentials: ADMIN });

    expectRsError(refused, 403);
    expect(after).toBe(before);
    expectRsError(badOrder, 400, 'invalid_param');
    expect((badOrder.body as { description: string }).description).toMatch(/order must be asc or desc/);
    expectRsError(badTime, 400, 'invalid_param');
  });
});
