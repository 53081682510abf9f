import { connect } from 'node:net';
import {
  createCertificateRequest,
  generateKeyPem,
  routes,
  SIGNATURE_HEADER,
  signRequest,
  type NodeView,
} from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/http.js';
import { ADMIN, CLUSTER_SECRET, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { expectRsError } from '../helpers/rs-error.js';

const PATH = routes.nodeRegister;

/** POSTs a registration as an agent would, or with the given signature header. */
function register(
  url: string,
  json: Record<string, unknown>,
  signature = signRequest(CLUSTER_SECRET, 'POST', PATH, JSON.stringify(json)),
) {
  return api<{ uid?: number; certificate?: string }>(`${url}${PATH}`, {
    method: 'POST',
    json,
    headers: { [SIGNATURE_HEADER]: signature },
  });
}

/** Sends only the headers of a POST announcing `contentLength` bytes; resolves with the status line, if any comes. */
function headersOnly(url: string, contentLength: number, timeoutMs: number): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise(resolve => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${PATH} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${contentLength}\r\n\r\n`,
      );
    });
    let answer = '';
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('data', chunk => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.split('\r\n')[0]);
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(answer.split('\r\n')[0] || undefined));
  });
}

describe('node registration against a replaying or overreaching caller', () => {
  let cluster: TestCluster;
  let url: string;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 0 });
    url = cluster.coordinator.url;
  });
  afterAll(() => cluster?.stop());

  it('accepts a signed request once: a replay of the same header and body is refused', async () => {
    const json = { uid: 41, addr: 'https://10.1.2.41:9443', instance_id: 'replayed-instance-1' };
    const header = signRequest(CLUSTER_SECRET, 'POST', PATH, JSON.stringify(json));
    expect((await register(url, json, header)).status).toBe(200);
    expectRsError(await register(url, json, header), 401);
  });

  it('refuses a captured header sent with another body', async () => {
    const signed = { uid: 42, addr: 'https://10.1.2.42:9443', instance_id: 'captured-instance' };
    const header = signRequest(CLUSTER_SECRET, 'POST', PATH, JSON.stringify(signed));
    expectRsError(await register(url, { ...signed, addr: 'https://10.6.6.6:9443' }, header), 401);
    const nodes = await api<NodeView[]>(`${url}${routes.nodes}`, { credentials: ADMIN });
    expect(nodes.body.map(node => node.uid)).not.toContain(42);
  });

  it('answers an unsigned request before reading its body', async () => {
    // Without a signature the coordinator must not wait for (or buffer) the megabyte announced.
    expect(await headersOnly(url, 1_000_000, 3_000)).toMatch(/^HTTP\/1\.1 401/);
  });

  it("signs a certificate for the node's own addr, never for the coordinator's names", async () => {
    const key = await generateKeyPem();
    const own = { uid: 43, addr: 'https://10.1.2.43:9443', instance_id: 'instance-with-csr' };
    const signed = await register(url, { ...own, csr: await createCertificateRequest(key, ['10.1.2.43']) });
    expect(signed.status).toBe(200);
    expect(signed.body.certificate).toMatch(/BEGIN CERTIFICATE/);
    // Not active before it serves that certificate: its first heartbeat comes after it installs it.
    const listed = await api<NodeView[]>(`${url}${routes.nodes}`, { credentials: ADMIN });
    expect(listed.body.find(node => node.uid === 43)?.status).toBe('down');

    for (const names of [['10.1.2.43', '127.0.0.1', 'localhost'], ['10.1.2.43', 'coordinator'], ['10.1.2.99']]) {
      const csr = await createCertificateRequest(key, names);
      expectRsError(await register(url, { ...own, csr }), 400, 'invalid_csr');
    }
  });

  it("refuses a certificate for another live node's address", async () => {
    const victim = { uid: 44, addr: 'https://10.1.2.44:9443', instance_id: 'victim-instance' };
    expect((await register(url, victim)).status).toBe(200);
    const csr = await createCertificateRequest(await generateKeyPem(), ['10.1.2.44']);
    const impostor = { uid: 45, addr: 'https://10.1.2.44:9444', instance_id: 'impostor-instance', csr };
    expectRsError(await register(url, impostor), 400, 'invalid_csr');
  });
});

describe('node addrs over plain HTTP', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 0, coordinator: { allowHttpNodes: false } });
  });
  afterAll(() => cluster?.stop());

  it('are refused unless MODFLEET_ALLOW_HTTP_NODES says otherwise', async () => {
    const url = cluster.coordinator.url;
    const plain = { uid: 46, addr: 'http://10.1.2.46:9443', instance_id: 'plain-http-instance' };
    expectRsError(await register(url, plain), 406, 'invalid_schema');
    expect((await register(url, { ...plain, addr: 'https://10.1.2.46:9443' })).status).toBe(200);
  });
});
