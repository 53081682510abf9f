import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { routes } from '@modfleet/common';
import { describe, expect, it, vi } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, basicAuth, type Credentials } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { oneAgentPerFile } from '../helpers/cluster-per-test.js';
import { expectRsError } from '../helpers/rs-error.js';

const MAX_ARTIFACT_BYTES = 64 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A multipart/form-data body holding `zip` as the file field `module`, built by hand for raw requests. */
function multipart(zip: Buffer): { body: Buffer; contentType: string } {
  const boundary = `modfleet-${randomUUID()}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="module"; filename="custom-module.zip"\r\nContent-Type: application/zip\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), zip, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

type SendMode = 'content-length' | 'chunked' | 'expect-continue';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Whether the server sent `100 Continue` before its answer. */
  continued: boolean;
}

/** POSTs a multipart artifact with node:http so framing (length, chunked, Expect) is under the test's control. */
function rawUpload(url: string, zip: Buffer, mode: SendMode, credentials: Credentials = ADMIN): Promise<RawResponse> {
  return rawPost(url, multipart(zip), mode, credentials);
}

async function rawPost(
  url: string,
  { body, contentType }: { body: Buffer; contentType: string },
  mode: SendMode,
  credentials: Credentials = ADMIN,
): Promise<RawResponse> {
  const headers: OutgoingHttpHeaders = { authorization: basicAuth(credentials), 'content-type': contentType };
  if (mode === 'chunked') headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = body.length;
  if (mode === 'expect-continue') headers.expect = '100-continue';
  const req = request(url, { method: 'POST', headers, agent: false });
  let continued = false;
  const responded = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });

  if (mode === 'expect-continue') {
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.flushHeaders();
  } else {
    for (let at = 0; at < body.length; at += 16 * 1024) req.write(body.subarray(at, at + 16 * 1024));
    req.end();
  }
  const res = await responded;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  req.destroy();

  const text = Buffer.concat(chunks).toString('utf8');
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    continued,
  };
}

describe('agent artifact uploads over the wire', () => {
  // One agent with the default limits for every describe below but the first, emptied before each test.
  const agent = oneAgentPerFile();

  describe(`413 above maxArtifactBytes (${MAX_ARTIFACT_BYTES} bytes)`, () => {
    const limited = oneAgentPerFile({ agent: { maxArtifactBytes: MAX_ARTIFACT_BYTES } });
    const oversize = () => buildArtifactZip({ so: randomBytes(200 * 1024) });

    it('refuses an artifact whose Content-Length declares ~200 KiB', async () => {
      const zip = await oversize();

      const res = await rawUpload(limited.artifactsUrl(), zip, 'content-length');

      expectRsError(res, 413);
      expect(await limited.tmpEntries()).toEqual([]);
      expect((await limited.list()).body).toEqual([]);
    });

    it('refuses a ~200 KiB artifact sent chunked, without a Content-Length', async () => {
      const zip = await oversize();

      const res = await rawUpload(limited.artifactsUrl(), zip, 'chunked');

      expectRsError(res, 413);
      expect(await limited.tmpEntries()).toEqual([]);
      expect((await limited.list()).body).toEqual([]);
    });

    it('refuses an artifact just over the limit whose declared length is within the framing allowance', async () => {
      const zip = await buildArtifactZip({ so: randomBytes(MAX_ARTIFACT_BYTES + 1024) });

      const res = await rawUpload(limited.artifactsUrl(), zip, 'content-length');

      expectRsError(res, 413);
      expect(await limited.tmpEntries()).toEqual([]);
      expect((await limited.list()).body).toEqual([]);
    });

    it('refuses an oversize declared body before sending 100 Continue', async () => {
      const zip = await oversize();

      const res = await rawUpload(limited.artifactsUrl(), zip, 'expect-continue');

      expectRsError(res, 413);
      expect(res.continued).toBe(false);
      expect(await limited.tmpEntries()).toEqual([]);
    });

    it('still accepts an artifact under the limit, sent chunked', async () => {
      const zip = await buildArtifactZip({ so: randomBytes(32 * 1024) });

      const res = await rawUpload(limited.artifactsUrl(), zip, 'chunked');

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sha256: sha256(zip), size: zip.length });
      expect((await limited.list()).body).toHaveLength(1);
    });
  });

  describe('aborted uploads', () => {
    it('stores nothing and leaves tmp empty when the client drops the connection mid-body', async () => {
      const { body, contentType } = multipart(await buildArtifactZip({ so: randomBytes(1024 * 1024) }));
      const req = request(agent.artifactsUrl(), {
        method: 'POST',
        agent: false,
        headers: { authorization: basicAuth(ADMIN), 'content-type': contentType, 'content-length': body.length },
      });
      req.on('error', () => undefined);
      req.write(body.subarray(0, body.length / 2));
      await vi.waitFor(async () => expect((await agent.tmpEntries()).length).toBeGreaterThan(0), {
        timeout: 5_000,
        interval: 10,
      });

      req.destroy();

      await vi.waitFor(async () => expect(await agent.tmpEntries()).toEqual([]), { timeout: 3_000, interval: 20 });
      expect((await agent.list()).body).toEqual([]);
    });
  });

  describe('malformed multipart', () => {
    it('refuses a multipart body cut short before its closing boundary with 400 and keeps nothing', async () => {
      const { body, contentType } = multipart(await buildArtifactZip());
      const cut = body.subarray(0, body.lastIndexOf('\r\n--'));

      const res = await rawPost(agent.artifactsUrl(), { body: cut, contentType }, 'content-length');

      expectRsError(res, 400);
      expect(await agent.tmpEntries()).toEqual([]);
      expect((await agent.list()).body).toEqual([]);
    });

    it('refuses a multipart body without a boundary with 400', async () => {
      const res = await rawPost(
        agent.artifactsUrl(),
        { body: Buffer.from('not multipart at all'), contentType: 'multipart/form-data' },
        'content-length',
      );

      expectRsError(res, 400);
      expect(await agent.tmpEntries()).toEqual([]);
    });

    it('refuses a multipart type other than form-data with 400 saying which to send (found by the fuzzer)', async () => {
      const { body } = multipart(await buildArtifactZip());
      const res = await rawPost(
        agent.artifactsUrl(),
        { body, contentType: 'multipart/mixed; boundary=xyz' },
        'content-length',
      );

      expectRsError(res, 400);
      expect(JSON.stringify(res.body)).toContain('multipart/form-data');
      expect(await agent.tmpEntries()).toEqual([]);
    });
  });

  describe('Expect: 100-continue', () => {
    it('sends 100 Continue to an admin and installs the body sent after it', async () => {
      const zip = await buildArtifactZip();

      const res = await rawUpload(agent.artifactsUrl(), zip, 'expect-continue');

      expect(res.continued).toBe(true);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ module_name: 'TestModule', version: 123, sha256: sha256(zip) });
      expect((await agent.list()).body).toHaveLength(1);
    });

    it('answers 401 to wrong credentials without ever sending 100 Continue', async () => {
      const zip = await buildArtifactZip();

      const res = await rawUpload(agent.artifactsUrl(), zip, 'expect-continue', {
        email: ADMIN.email,
        password: 'wrong',
      });

      expect(res.continued).toBe(false);
      expectRsError(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic\b/);
      expect(await agent.tmpEntries()).toEqual([]);
      expect((await agent.list()).body).toEqual([]);
    });

    it('answers 403 modules_upload_disabled without sending 100 Continue', async () => {
      await api(`${agent.cluster().coordinator.url}${routes.cluster}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { allow_modules_upload: false },
      });

      const res = await rawUpload(agent.artifactsUrl(), await buildArtifactZip(), 'expect-continue');

      expect(res.continued).toBe(false);
      expectRsError(res, 403, 'modules_upload_disabled');
    });
  });

  describe('concurrent uploads of one name and version', () => {
    const post = (zip: Buffer) =>
      api(agent.artifactsUrl(), { method: 'POST', credentials: ADMIN, form: artifactForm(zip) });

    it('lets exactly one of 8 different contents win; the other 7 get 406 module_exists', async () => {
      const zips = await Promise.all(Array.from({ length: 8 }, () => buildArtifactZip()));

      const results = await Promise.all(zips.map(post));

      const winners = results.flatMap((res, index) => (res.status === 200 ? [index] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(results[winner]!.body).toMatchObject({ sha256: sha256(zips[winner]!) });
      for (const [index, res] of results.entries()) {
        if (index === winner) continue;
        expect(res.status).toBe(406);
        expect(res.body).toEqual({ error_code: 'module_exists', description: expect.any(String) as string });
      }
      expect((await agent.list()).body).toEqual([
        { module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] },
      ]);
      expect(await agent.tmpEntries()).toEqual([]);
      expect((await post(zips[winner]!)).status).toBe(200);
      expect((await post(zips[(winner + 1) % zips.length]!)).status).toBe(406);
    });

    it('answers 200 to all of 8 identical uploads and keeps one artifact', async () => {
      const zip = await buildArtifactZip();

      const results = await Promise.all(Array.from({ length: 8 }, () => post(zip)));

      expect(results.map(res => res.status)).toEqual(Array(8).fill(200));
      for (const res of results) expect(res.body).toMatchObject({ sha256: sha256(zip), size: zip.length });
      expect((await agent.list()).body).toHaveLength(1);
      expect(await agent.tmpEntries()).toEqual([]);
    });
  });
});
