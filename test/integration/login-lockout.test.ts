/**
 * RS user login lockout: after login_lockout_threshold failed logins within
 * login_lockout_counter_reset_after seconds, a user is locked for login_lockout_duration seconds
 * (0: until an admin resets the password). The counts live in Redis, so the coordinator and every
 * agent agree on who is locked.
 */
import { randomUUID } from 'node:crypto';
import { LOCKOUT_DEFAULTS, pathTo, redisKeys, routes, type UserView } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { api, type ApiResponse, type Credentials } from '../helpers/http.js';
import { pollFor } from '../helpers/poll.js';
import { withRedis } from '../helpers/redis.js';
import { expectRsError } from '../helpers/rs-error.js';

describe('login lockout across the coordinator and an agent', () => {
  let cluster: TestCluster;
  let coordinator: string;
  let agent: string;

  const settle = (patch: Record<string, number | undefined>) =>
    api(`${coordinator}${routes.cluster}`, { method: 'PUT', credentials: ADMIN, json: patch });
  const newUser = async (): Promise<Credentials & { uid: number }> => {
    const credentials = { email: `lock-${randomUUID().slice(0, 8)}@test.local`, password: `pw-${randomUUID()}` };
    const res = await api<{ uid: number }>(`${coordinator}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...credentials, role: 'db_viewer' },
    });
    expect(res.status).toBe(200);
    return { ...credentials, uid: res.body.uid };
  };
  const onCoordinator = (credentials: Credentials) => api(`${coordinator}${routes.modules}`, { credentials });
  const onAgent = (credentials: Credentials) => api(`${agent}${routes.localArtifacts}`, { credentials });
  const wrong = (user: Credentials) => ({ email: user.email, password: `${user.password}-not` });
  const fail = async (times: number, call: () => Promise<ApiResponse>) => {
    for (let i = 0; i < times; i += 1) expect((await call()).status).toBe(401);
  };
  const userStatus = async (uid: number) =>
    (await api<UserView>(`${coordinator}${pathTo(routes.user, { uid })}`, { credentials: ADMIN })).body.status;
  const expectLocked = (res: ApiResponse) => {
    expectRsError(res, 401, 'user_locked');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
  };

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    coordinator = cluster.coordinator.url;
    agent = cluster.agents[0]!.url;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('shows RS names and defaults in GET /v1/cluster', async () => {
    const res = await api<Record<string, unknown>>(`${coordinator}${routes.cluster}`, { credentials: ADMIN });

    expect(res.body).toMatchObject({
      login_lockout_threshold: 5,
      login_lockout_duration: 1800,
      login_lockout_counter_reset_after: 900,
    });
    expect(LOCKOUT_DEFAULTS).toEqual({
      login_lockout_threshold: 5,
      login_lockout_duration: 1800,
      login_lockout_counter_reset_after: 900,
    });
  });

  it('refuses bad lockout settings with an RS error and keeps the old ones', async () => {
    for (const patch of [
      { login_lockout_threshold: -1 },
      { login_lockout_duration: 1.5 },
      { login_lockout_counter_reset_after: 0 },
    ]) {
      expectRsError(await settle(patch), 406, 'invalid_schema');
    }
    const res = await api<Record<string, unknown>>(`${coordinator}${routes.cluster}`, { credentials: ADMIN });
    expect(res.body).toMatchObject(LOCKOUT_DEFAULTS);
  });

  it('locks a user after the threshold, counted on the agent and the coordinator alike, with a distinct error code', async () => {
    expect((await settle({ login_lockout_threshold: 3, login_lockout_duration: 600 })).status).toBe(200);
    const user = await newUser();
    expect((await onAgent(user)).status).toBe(200);

    await fail(2, () => onAgent(wrong(user)));
    await fail(1, () => onCoordinator(wrong(user)));

    expectLocked(await onCoordinator(user));
    // The agent had the right password cached; the lock drops that cache through Redis.
    expectLocked(
      await pollFor(
        () => onAgent(user),
        res => res.status === 401,
        'the agent refuses the locked user',
      ),
    );
    expect(await userStatus(user.uid)).toBe('locked');
  });

  it('lets an admin unlock a user by resetting the password, on every service', async () => {
    await settle({ login_lockout_threshold: 2, login_lockout_duration: 0 });
    const user = await newUser();
    await fail(2, () => onCoordinator(wrong(user)));
    expectLocked(await onAgent(user));

    const reset = await api(`${coordinator}${pathTo(routes.user, { uid: user.uid })}`, {
      method: 'PUT',
      credentials: ADMIN,
      json: { password: 'a-fresh-password-1' },
    });

    expect(reset.status).toBe(200);
    const renewed = { email: user.email, password: 'a-fresh-password-1' };
    expect((await onCoordinator(renewed)).status).toBe(200);
    expect((await onAgent(renewed)).status).toBe(200);
    expect(await userStatus(user.uid)).toBe('active');
  });

  it('unlocks by itself once login_lockout_duration has passed', async () => {
    await settle({ login_lockout_threshold: 2, login_lockout_duration: 1 });
    const user = await newUser();
    await fail(2, () => onCoordinator(wrong(user)));
    expectLocked(await onCoordinator(user));

    const later = await pollFor(
      () => onAgent(user),
      res => res.status === 200,
      'the lock expired',
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(later.status).toBe(200);
  });

  it('starts the count again after login_lockout_counter_reset_after without a failure', async () => {
    await settle({ login_lockout_threshold: 3, login_lockout_duration: 600, login_lockout_counter_reset_after: 1 });
    const user = await newUser();
    await fail(2, () => onCoordinator(wrong(user)));
    const failures = redisKeys(cluster.prefix).loginFailures(user.email, '127.0.0.1');
    await pollFor(
      () => withRedis(redis => redis.exists(failures)),
      exists => exists === 0,
      'the failure count expired',
      { timeoutMs: 10_000, intervalMs: 100 },
    );

    await fail(2, () => onAgent(wrong(user)));

    expect((await onCoordinator(user)).status).toBe(200);
  });

  it('locks unknown emails the same way, so a lock tells nothing about who exists, and writes nothing to Redis for them', async () => {
    await settle({ login_lockout_threshold: 2, login_lockout_duration: 600, login_lockout_counter_reset_after: 900 });
    const nobody = { email: `nobody-${randomUUID().slice(0, 8)}@test.local`, password: 'whatever-password' };
    const published = await withRedis(async redis => {
      const subscriber = redis.duplicate();
      const messages: string[] = [];
      await subscriber.subscribe(redisKeys(cluster.prefix).usersChanged);
      subscriber.on('message', (_channel, message: string) => messages.push(message));
      await fail(2, () => onCoordinator(nobody));
      expectLocked(await onCoordinator(nobody));
      await subscriber.quit();
      return messages;
    });

    expect(published).toEqual([]);
    const written = (await withRedis(redis => redis.keys(redisKeys(cluster.prefix).everyKey))).filter(key =>
      key.includes(nobody.email),
    );
    expect(written).toEqual([]);
  });

  it('never locks anyone with login_lockout_threshold 0', async () => {
    await settle({ login_lockout_threshold: 0 });
    const user = await newUser();
    await fail(6, () => onCoordinator(wrong(user)));

    expect((await onAgent(user)).status).toBe(200);
  });
});
