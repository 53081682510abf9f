import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, pathTo, routes } from '@modfleet/common';
import { startCoordinator } from '@modfleet/coordinator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { ADMIN, coordinatorConfig, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { api, artifactForm, type ApiResponse, type Credentials } from '../helpers/http.js';

/** Agents learn of user changes through Redis pub/sub: give the announcement up to ~1 s to land. */
async function eventually(
  probe: () => Promise<ApiResponse>,
  done: (res: ApiResponse) => boolean,
  timeoutMs = 1_000,
): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await probe();
    if (done(res) || Date.now() >= deadline) return res;
    await sleep(25);
  }
}

describe('credential cache across coordinator and agents', () => {
  let cluster: TestCluster;
  let coordinator: string;
  let agents: string[];

  const newUser = async (role: string): Promise<Credentials & { uid: number }> => {
    const credentials = { email: `cache-${randomUUID().slice(0, 8)}@test.local`, password: `pw-${randomUUID()}` };
    const res = await api<{ uid: number }>(`${coordinator}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...credentials, role },
    });
    expect(res.status).toBe(200);
    return { ...credentials, uid: res.body.uid };
  };
  const updateUser = (uid: number, patch: Record<string, unknown>) =>
    api(`${coordinator}${pathTo(routes.user, { uid })}`, { method: 'PUT', credentials: ADMIN, json: patch });
  const listOn = (base: string, credentials: Credentials) => api(`${base}${routes.localArtifacts}`, { credentials });
  const uploadTo = async (base: string, credentials: Credentials) =>
    api(`${base}${routes.localArtifacts}`, {
      method: 'POST',
      credentials,
      form: artifactForm(await buildArtifactZip({ manifest: { module_name: `cache-${randomUUID().slice(0, 8)}` } })),
    });

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2 });
    coordinator = cluster.coordinator.url;
    agents = cluster.agents.map(agent => agent.url);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('refuses the old password on every agent and on the coordinator after a password change', async () => {
    const user = await newUser('db_viewer');
    const warmed = await Promise.all([
      ...agents.map(base => listOn(base, user)),
      api(`${coordinator}${routes.modules}`, { credentials: user }),
    ]);
    const changed = await updateUser(user.uid, { password: 'the-new-password' });

    const oldOnAgents = await Promise.all(
      agents.map(base =>
        eventually(
          () => listOn(base, user),
          res => res.status === 401,
        ),
      ),
    );
    const oldOnCoordinator = await api(`${coordinator}${routes.modules}`, { credentials: user });

    expect(warmed.map(res => res.status)).toEqual([200, 200, 200]);
    expect(changed.status).toBe(200);
    expect(oldOnAgents.map(res => res.status)).toEqual([401, 401]);
    expect(oldOnCoordinator.status).toBe(401);
  });

  it('accepts the new password on every agent and on the coordinator after a password change', async () => {
    const user = await newUser('db_viewer');
    await Promise.all(agents.map(base => listOn(base, user)));
    await updateUser(user.uid, { password: 'the-new-password' });
    const renewed = { email: user.email, password: 'the-new-password' };

    const onAgents = await Promise.all(
      agents.map(base =>
        eventually(
          () => listOn(base, renewed),
          res => res.status === 200,
        ),
      ),
    );
    const onCoordinator = await api(`${coordinator}${routes.modules}`, { credentials: renewed });

    expect(onAgents.map(res => res.status)).toEqual([200, 200]);
    expect(onCoordinator.status).toBe(200);
  });

  it('refuses a deleted user on every agent', async () => {
    const user = await newUser('cluster_viewer');
    const warmed = await Promise.all(agents.map(base => listOn(base, user)));
    const deleted = await api(`${coordinator}${pathTo(routes.user, { uid: user.uid })}`, {
      method: 'DELETE',
      credentials: ADMIN,
    });

    const afterDelete = await Promise.all(
      agents.map(base =>
        eventually(
          () => listOn(base, user),
          res => res.status === 401,
        ),
      ),
    );

    expect(warmed.map(res => res.status)).toEqual([200, 200]);
    expect(deleted.status).toBe(200);
    expect(afterDelete.map(res => res.status)).toEqual([401, 401]);
    expect(afterDelete[0]!.headers.get('www-authenticate')).toMatch(/^Basic\b/);
  });

  it('refuses an upload to an agent with 403 once its admin was demoted to db_viewer', async () => {
    const user = await newUser('admin');
    const before = await uploadTo(agents[0]!, user);
    const demoted = await updateUser(user.uid, { role: 'db_viewer' });

    const upload = await eventually(
      () => uploadTo(agents[0]!, user),
      res => res.status === 403,
    );
    const listing = await listOn(agents[0]!, user);

    expect(before.status).toBe(200);
    expect(demoted.status).toBe(200);
    expect(upload.status).toBe(403);
    expect(listing.status).toBe(200);
  });

  it('lets a db_viewer upload to an agent once promoted to admin', async () => {
    const user = await newUser('db_viewer');
    const before = await uploadTo(agents[1]!, user);
    const promoted = await updateUser(user.uid, { role: 'admin' });

    const upload = await eventually(
      () => uploadTo(agents[1]!, user),
      res => res.status === 200,
    );

    expect(before.status).toBe(403);
    expect(promoted.status).toBe(200);
    expect(upload.status).toBe(200);
  });

  it('lets a user created on the coordinator sign in to an agent at once', async () => {
    const stranger = { email: `later-${randomUUID().slice(0, 8)}@test.local`, password: 'later-password-1' };
    const refused = await listOn(agents[0]!, stranger);
    await api(`${coordinator}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...stranger, role: 'db_member' },
    });

    const accepted = await eventually(
      () => listOn(agents[0]!, stranger),
      res => res.status === 200,
    );

    expect(refused.status).toBe(401);
    expect(accepted.status).toBe(200);
  });

  it('refuses a wrong password on an agent even while the right one is cached', async () => {
    const user = await newUser('db_viewer');
    const right = await listOn(agents[0]!, user);

    const wrong = await listOn(agents[0]!, { email: user.email, password: `${user.password}-not` });
    const rightAgain = await listOn(agents[0]!, user);

    expect(right.status).toBe(200);
    expect(wrong.status).toBe(401);
    expect(rightAgain.status).toBe(200);
  });

  it('refuses the old password on a coordinator after another coordinator changed it', async () => {
    const user = await newUser('db_viewer');
    const other = await startCoordinator(
      coordinatorConfig(cluster.prefix, cluster.dataDir),
      createLogger({ name: 'coordinator-2', level: 'silent' }),
    );
    try {
      const warmed = await api(`${coordinator}${routes.modules}`, { credentials: user });
      const changed = await api(`${other.httpUrl!}${pathTo(routes.user, { uid: user.uid })}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { password: 'changed-elsewhere' },
      });

      const withOld = await eventually(
        () => api(`${coordinator}${routes.modules}`, { credentials: user }),
        res => res.status === 401,
      );

      expect(warmed.status).toBe(200);
      expect(changed.status).toBe(200);
      expect(withOld.status).toBe(401);
    } finally {
      await other.stop(1_000);
    }
  });
});
