/**
 * Property: without the cluster secret no request registers a node or gets a certificate, and
 * without a user's password no login gets in, whatever the headers, the bodies, or a real
 * signed request captured earlier (replayed, or reused for another body, path or method).
 */
import {
  bodySha256,
  createCertificateRequest,
  generateKeyPem,
  routes,
  SIGNATURE_HEADER,
  signRequest,
  type NodeView,
} from '@modfleet/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, basicAuth } from '../helpers/http.js';
import { ADMIN, CLUSTER_SECRET, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';

const PATH = routes.nodeRegister;

describe('register and login routes, fuzzed', () => {
  let cluster: TestCluster;
  let url: string;
  let csr: string;
  /** A registration really signed once, and already used: an attacker's capture. */
  let captured: { header: string; body: string };

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 0 });
    url = cluster.coordinator.url;
    csr = await createCertificateRequest(await generateKeyPem(), ['10.9.9.9', '127.0.0.1', 'localhost']);
    const body = JSON.stringify({ uid: 90, addr: 'https://10.9.9.90:9443', instance_id: 'captured-instance-90' });
    captured = { header: signRequest(CLUSTER_SECRET, 'POST', PATH, body), body };
    const used = await fetch(`${url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: captured.header },
      body,
    });
    expect(used.status).toBe(200);
  });
  afterAll(() => cluster?.stop());

  const nodeUids = async () =>
    (await api<NodeView[]>(`${url}${routes.nodes}`, { credentials: ADMIN })).body.map(node => node.uid).sort();

  it('registers nothing and signs nothing without the secret', async () => {
    const before = await nodeUids();
    const registration = fc.record({
      uid: fc.integer({ min: 91, max: 120 }),
      addr: fc.constantFrom(
        'https://10.9.9.9:9443',
        'https://127.0.0.1:1',
        'http://10.9.9.9:1',
        'https://coordinator:9443',
      ),
      instance_id: fc.string({ minLength: 8, maxLength: 20 }),
      csr: fc.constant(csr),
    });
    const [time, nonce, , mac] = captured.header.split('.') as [string, string, string, string];
    const header = (body: string) =>
      fc.oneof(
        fc.constant(captured.header), // replayed as is
        fc.constant(`${time}.${nonce}.${bodySha256(body)}.${mac}`), // the capture, retargeted at this body
        fc.constant(signRequest('not-the-cluster-secret-0123', 'POST', PATH, body)),
        fc.constant(signRequest(CLUSTER_SECRET, 'GET', PATH, body)), // signed for another method
        fc.constant(signRequest(CLUSTER_SECRET, 'POST', '/internal/blobs/x', body)), // another path
        fc.constant(signRequest(CLUSTER_SECRET, 'POST', PATH, body, Date.now() - 11 * 60_000)), // expired
        fc.string({ maxLength: 200 }).map(text => text.replace(/[^\x20-\x7e]/g, '')),
      );
    const request = registration.chain(json => {
      const body = JSON.stringify(json);
      return fc.record({ body: fc.constant(body), header: header(body) });
    });

    await fc.assert(
      fc.asyncProperty(request, async ({ body, header }) => {
        const res = await fetch(`${url}${PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: header },
          body,
        });
        const text = await res.text();
        expect(res.status).toBe(401);
        expect(text).not.toContain('CERTIFICATE');
      }),
      { numRuns: 60 },
    );
    expect(await nodeUids()).toEqual(before);
  });

  it('lets no login in without the password, and never answers 500', async () => {
    const credentials = fc.record({
      email: fc.oneof(fc.constant(ADMIN.email), fc.emailAddress(), fc.string({ maxLength: 300 })),
      password: fc.string({ maxLength: 64 }).filter(password => password !== ADMIN.password),
    });
    await fc.assert(
      fc.asyncProperty(credentials, async ({ email, password }) => {
        const res = await fetch(`${url}${routes.modules}`, {
          headers: { authorization: basicAuth({ email: email.replace(/:/g, ''), password }) },
        });
        await res.arrayBuffer();
        expect([401, 429]).toContain(res.status);
      }),
      { numRuns: 60 },
    );
  });
});
