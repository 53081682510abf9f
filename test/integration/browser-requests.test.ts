/** What a page on another site can make a signed-in browser send: none of it may change the cluster. */
import { randomUUID } from 'node:crypto';
import { routes, type UserView } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, basicAuth } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { expectRsError } from '../helpers/rs-error.js';

describe('requests a browser sends for another site', () => {
  let cluster: TestCluster;
  let url: string;
  const newUser = () => ({
    email: `csrf-${randomUUID().slice(0, 8)}@test.local`,
    password: 'csrf-password-1',
    role: 'admin',
  });
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${url}${routes.users}`, {
      method: 'POST',
      headers: { authorization: basicAuth(ADMIN), ...headers },
      body,
    }).then(async res => ({ status: res.status, headers: res.headers, body: await res.json() }));
  const emails = async () =>
    (await api<UserView[]>(`${url}${routes.users}`, { credentials: ADMIN })).body.map(user => user.email);

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 0 });
    url = cluster.coordinator.url;
  });
  afterAll(() => cluster?.stop());

  it('refuses a JSON body sent as text/plain or as a form with 415, and creates nothing', async () => {
    const user = newUser();
    expectRsError(await post(JSON.stringify(user), { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    expectRsError(
      await post(new URLSearchParams(user).toString(), { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
    expect(await emails()).not.toContain(user.email);
  });

  it("refuses a change whose Origin is another site's with 403, and takes one from its own", async () => {
    const user = newUser();
    const json = { 'content-type': 'application/json' };
    expectRsError(
      await post(JSON.stringify(user), { ...json, origin: 'https://evil.example' }),
      403,
      'cross_origin_request',
    );
    expect(await emails()).not.toContain(user.email);

    expect((await post(JSON.stringify(user), { ...json, origin: url })).status).toBe(200);
    expect(await emails()).toContain(user.email);
  });
});
