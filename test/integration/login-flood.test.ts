/**
 * Logins an outsider can send without any credentials: they must neither lock the real user out
 * nor grow Redis without bound.
 */
import { request } from 'node:http';
import { routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, type Credentials } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';

/** GET with Basic credentials from a chosen local address (127.0.0.2 is another client than 127.0.0.1). */
function getAs(
  url: string,
  credentials: Credentials,
  localAddress = '127.0.0.1',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { authorization: basicAuth(credentials) } }, res => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('logins sent by an outsider', () => {
  let cluster: TestCluster;
  let url: string;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 0 });
    url = `${cluster.coordinator.url}${routes.modules}`;
  });
  afterAll(() => cluster?.stop());

  it("lock out only the outsider's address: the admin still signs in from its own", async () => {
    const guesses = Array.from({ length: 8 }, (_unused, i) => ({ email: ADMIN.email, password: `guess-${i}` }));
    for (const guess of guesses) await getAs(url, guess, '127.0.0.2');

    const outsider = await getAs(url, ADMIN, '127.0.0.2');
    expect(outsider.status).toBe(401);
    expect(JSON.parse(outsider.body)).toMatchObject({ error_code: 'user_locked' });
    expect((await getAs(url, ADMIN, '127.0.0.1')).status).toBe(200);
  });
});
