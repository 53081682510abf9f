/**
 * POST /v2/modules/user-defined/artifacts with a JSON body: the coordinator fetches the artifact
 * from the URL itself. The app runs in process over the fake stores; the URLs are a local server.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  generateKeyPem,
  routes,
  selfSignedCertificate,
  type ActionObject,
  type LogEvent,
  type Role,
} from '@modfleet/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { api, type ApiResponse } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { createRoleUsers, NON_ADMIN_ROLES } from '../helpers/role-users.js';
import { expectRsError } from '../helpers/rs-error.js';

const TOKEN = 'Bearer upstream-secret-token-4711';

/** What the artifact server saw of each request. */
interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

/** Serves the zip at /module.zip, and the failures the tests ask for at their own paths. */
async function startArtifactServer(zip: Buffer): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ path, headers: req.headers });
    if (path === '/module.zip') return res.writeHead(200, { 'content-type': 'application/zip' }).end(zip);
    if (path === '/moved') return res.writeHead(302, { location: '/module.zip' }).end();
    if (path === '/elsewhere') {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '';
      return res.writeHead(307, { location: to }).end();
    }
    if (path === '/broken') return res.writeHead(503).end();
    if (path === '/chunked-big') {
      // No Content-Length: the size is only known as the bytes arrive.
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.write(Buffer.alloc(64 * 1024));
      return res.end(Buffer.alloc(64 * 1024));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise(resolve => server.close(() => resolve()));
    },
  };
}

describe('a push from a URL (JSON body on POST /v2/modules/user-defined/artifacts)', () => {
  let zip: Buffer;
  let sha256: string;
  let upstream: Awaited<ReturnType<typeof startArtifactServer>>;
  let coordinator: FakeCoordinator | undefined;
  let logLines: string[];

  beforeAll(async () => {
    zip = await buildArtifactZip({ manifest: { module_name: 'FromUrl', version: 7 } });
    sha256 = createHash('sha256').update(zip).digest('hex');
    upstream = await startArtifactServer(zip);
  });
  afterAll(() => upstream?.close());
  afterEach(async () => {
    await coordinator?.stop();
    coordinator = undefined;
    upstream.seen.length = 0;
  });

  async function start(overrides: Parameters<typeof startFakeCoordinator>[0] = {}): Promise<FakeCoordinator> {
    logLines = [];
    const logger = createLogger({ name: 'coordinator', level: 'debug' }, { write: line => void logLines.push(line) });
    coordinator = await startFakeCoordinator({ logger, ...overrides });
    await coordinator.services.nodes.register({ addr: 'http://127.0.0.2:9443', instance_id: 'node-1' });
    return coordinator;
  }

  const push = (body: unknown, credentials = ADMIN): Promise<ApiResponse<Record<string, unknown>>> =>
    api(`${coordinator!.url}${routes.fleetArtifacts}`, { method: 'POST', credentials, json: body });

  /** Nothing left behind: no action, no desired artifact, no blob, no temp file. */
  async function expectNothingPushed(): Promise<void> {
    const { services, blobs } = coordinator!;
    expect(await services.actions.list(100)).toEqual([]);
    expect(await services.fleetArtifacts.list()).toEqual([]);
    expect(blobs.held.size).toBe(0);
    expect(await readdir(blobs.tempDir)).toEqual([]);
  }

  it('fetches the artifact with the given headers and pushes it: the action and the audit log show the URL, never the credentials', async () => {
    await start();
    const res = await push({
      url: `http://user:url-password-0815@${upstream.url.slice('http://'.length)}/module.zip?signature=query-secret-42`,
      sha256: sha256.toUpperCase(),
      headers: { Authorization: TOKEN, 'X-Extra': 'yes' },
    });

    expect(res.status).toBe(202);
    const action_uid = res.body.action_uid as string;
    expect(upstream.seen).toEqual([
      {
        path: '/module.zip',
        headers: expect.objectContaining({ authorization: TOKEN, 'x-extra': 'yes' }) as IncomingHttpHeaders,
      },
    ]);
    expect(coordinator!.blobs.held.get(sha256)).toEqual(zip);
    expect(await coordinator!.services.fleetArtifacts.list()).toMatchObject([
      { module_name: 'FromUrl', version: 7, sha256 },
    ]);
    const shown = `${upstream.url}/module.zip`;
    const action = await api<ActionObject>(`${coordinator!.url}/v2/actions/${action_uid}`, { credentials: ADMIN });
    expect(action.body.additional_info.description).toBe(`Install FromUrl@7 on every node from ${shown}`);
    const events = coordinator!.services.events.events;
    expect(events).toMatchObject([{ type: 'module_artifact_push_started', action_uid, source_url: shown } as LogEvent]);

    const kept = JSON.stringify({
      action: action.body,
      events,
      logs: logLines,
      stored: await coordinator!.services.actions.list(10),
    });
    expect(logLines.join('')).toContain('fleet push accepted');
    for (const secret of ['upstream-secret-token-4711', 'url-password-0815', 'query-secret-42', 'X-Extra']) {
      expect(kept).not.toContain(secret);
    }
    expect(await readdir(coordinator!.blobs.tempDir)).toEqual([]);
  });

  it('turns user:pass@ in the URL into Basic credentials for the upstream, when no Authorization header is given', async () => {
    await start();
    const res = await push({ url: `http://alice:s3cret@${upstream.url.slice('http://'.length)}/module.zip` });
    expect(res.status).toBe(202);
    expect(upstream.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  });

  it('follows a redirect on the same server', async () => {
    await start();
    const res = await push({ url: `${upstream.url}/moved`, sha256 });
    expect(res.status).toBe(202);
    expect(upstream.seen.map(request => request.path)).toEqual(['/moved', '/module.zip']);
  });

  it('sends the given headers to the first server only, not to the one a redirect leads to', async () => {
    await start();
    const other = await startArtifactServer(zip);
    try {
      const to = encodeURIComponent(`${upstream.url}/module.zip`);
      const res = await push({ url: `${other.url}/elsewhere?to=${to}`, headers: { Authorization: TOKEN } });
      expect(res.status).toBe(202);
      expect(other.seen[0]?.headers.authorization).toBe(TOKEN);
      expect(upstream.seen).toMatchObject([{ path: '/module.zip' }]);
      expect(upstream.seen[0]?.headers.authorization).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('refuses bytes that do not match sha256 with 400 sha256_mismatch, leaving nothing behind', async () => {
    await start();
    const wrong = 'ab'.repeat(32);
    const res = await push({ url: `${upstream.url}/module.zip`, sha256: wrong, headers: { Authorization: TOKEN } });
    const error = expectRsError(res, 400, 'sha256_mismatch');
    expect(error.description).toContain(sha256);
    expect(error.description).toContain(wrong);
    await expectNothingPushed();
  });

  it('answers 400 artifact_fetch_failed naming the URL and status when the server answers 404, and 502 for a 5xx', async () => {
    await start();
    const missing = await push({ url: `http://u:p@${upstream.url.slice('http://'.length)}/nothing.zip?token=abc` });
    expect(expectRsError(missing, 400, 'artifact_fetch_failed').description).toBe(
      `${upstream.url}/nothing.zip answered 404`,
    );
    const broken = await push({ url: `${upstream.url}/broken` });
    expect(expectRsError(broken, 502, 'artifact_fetch_failed').description).toBe(`${upstream.url}/broken answered 503`);
    await expectNothingPushed();
  });

  it('answers 502 artifact_fetch_failed when nothing listens at the URL', async () => {
    await start();
    const closed = await startArtifactServer(zip);
    await closed.close();
    const res = await push({ url: `${closed.url}/module.zip` });
    expect(expectRsError(res, 502, 'artifact_fetch_failed').description).toBe(
      `${closed.url}/module.zip could not be read: connection refused`,
    );
    await expectNothingPushed();
  });

  it('answers 502 naming the TLS problem when the server’s certificate is not trusted', async () => {
    await start();
    const key = await generateKeyPem();
    const https = createHttpsServer({ key, cert: await selfSignedCertificate(key, ['127.0.0.1']) }, (_req, res) =>
      res.end(zip),
    );
    await new Promise<void>(resolve => https.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/module.zip`;
      const res = await push({ url });
      expect(expectRsError(res, 502, 'artifact_fetch_failed').description).toMatch(
        new RegExp(`^${url.replaceAll('.', '\\.')} could not be read: TLS: self[- ]signed certificate`),
      );
      await expectNothingPushed();
    } finally {
      https.closeAllConnections();
      await new Promise(resolve => https.close(resolve));
    }
  });

  it('cuts a body over MODFLEET_MAX_ARTIFACT_BYTES off with 413, declared or not', async () => {
    await start({ maxArtifactBytes: 100 * 1024 });
    expectRsError(await push({ url: `${upstream.url}/chunked-big` }), 413, 'artifact_too_large');
    await expectNothingPushed();
  });

  it('refuses link-local addresses (cloud metadata) and, with MODFLEET_PUSH_URL_ALLOW, URLs under no prefix', async () => {
    await start({ pushUrlAllow: [`${upstream.url}/allowed/`] });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/x',
      'http://[::ffff:169.254.1.1]/x',
    ]) {
      expectRsError(await push({ url }), 403, 'artifact_url_not_allowed');
    }
    const outside = await push({ url: `${upstream.url}/module.zip` });
    expect(expectRsError(outside, 403, 'artifact_url_not_allowed').description).toContain('MODFLEET_PUSH_URL_ALLOW');
    expect(upstream.seen).toEqual([]);
    await expectNothingPushed();
  });

  it('checks every redirect against MODFLEET_PUSH_URL_ALLOW too', async () => {
    await start({ pushUrlAllow: [`${upstream.url}/moved`] });
    expectRsError(await push({ url: `${upstream.url}/moved` }), 403, 'artifact_url_not_allowed');
    expect(upstream.seen.map(request => request.path)).toEqual(['/moved']);
  });

  it.each([
    ['no url', {}],
    ['a URL that is not one', { url: 'not a url' }],
    ['another scheme', { url: 'ftp://example.com/module.zip' }],
    ['a sha256 that is not 64 hex digits', { url: 'http://example.com/m.zip', sha256: 'abc' }],
    ['a header value that is not a string', { url: 'http://example.com/m.zip', headers: { Authorization: 5 } }],
    ['a header value over two lines', { url: 'http://example.com/m.zip', headers: { 'X-A': 'secret-a\r\nX-B: b' } }],
    ['a framing header', { url: 'http://example.com/m.zip', headers: { Host: 'secret-host' } }],
    ['an unknown field', { url: 'http://example.com/m.zip', module: 'x' }],
  ])('refuses a body with %s: 406 invalid_artifact_source, quoting no header value', async (_what, body) => {
    await start();
    const error = expectRsError(await push(body), 406, 'invalid_artifact_source');
    expect(error.description).not.toMatch(/secret/);
    await expectNothingPushed();
  });

  it('refuses JSON that does not parse with 400 invalid_json', async () => {
    await start();
    const res = await fetch(`${coordinator!.url}${routes.fleetArtifacts}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ADMIN.email}:${ADMIN.password}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: '{"url":',
    });
    expectRsError({ status: res.status, headers: res.headers, body: await res.json() }, 400, 'invalid_json');
  });

  it('takes the permission of an upload: 401 without credentials, 403 for every role but admin, 403 with uploads off', async () => {
    await start();
    const users = await createRoleUsers(coordinator!.url);
    const body = { url: `${upstream.url}/module.zip` };
    const anonymous = await api(`${coordinator!.url}${routes.fleetArtifacts}`, { method: 'POST', json: body });
    expectRsError(anonymous, 401);
    for (const role of NON_ADMIN_ROLES) expectRsError(await push(body, users[role as Role]), 403);
    await api(`${coordinator!.url}${routes.cluster}`, {
      method: 'PUT',
      credentials: ADMIN,
      json: { allow_modules_upload: false },
    });
    expectRsError(await push(body), 403, 'modules_upload_disabled');
    expect(upstream.seen).toEqual([]);
    await expectNothingPushed();
  });
});
