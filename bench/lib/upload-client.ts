import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { basicAuth } from '../../test/helpers/http.js';
import { assertLoopback, trackChild } from './util.js';

export type UploadClient = 'curl' | 'node';

export interface UploadResult {
  status: number;
  body: string;
  elapsedMs: number;
}

export interface UploadRequest {
  url: string;
  file: string;
  size: number;
  credentials: { email: string; password: string };
  field?: string;
  timeoutMs?: number;
  /** The CA to verify an https:// URL with (curl only). */
  caFile?: string;
}

/** POSTs the artifact as multipart field `module`, streaming it from disk, and times it to the last byte of the answer. */
export function uploadArtifact(client: UploadClient, upload: UploadRequest): Promise<UploadResult> {
  assertLoopback(upload.url);
  if (client === 'node' && upload.url.startsWith('https:'))
    throw new Error('the node client uploads over plain HTTP only');
  return client === 'curl' ? uploadWithCurl(upload) : uploadWithNode(upload);
}

/** What RS users run: `curl -u user:pass -F module=@artifact.zip …` (curl sends `Expect: 100-continue`). */
async function uploadWithCurl({
  url,
  file,
  credentials,
  field = 'module',
  timeoutMs = 300_000,
  caFile,
}: UploadRequest) {
  const marker = `\n@@status=`;
  const args = [
    '--silent',
    '--show-error',
    '--max-time',
    String(Math.ceil(timeoutMs / 1000)),
    '--user',
    `${credentials.email}:${credentials.password}`,
    '--form',
    `${field}=@${file};type=application/zip`,
    '--write-out',
    `${marker}%{http_code}`,
    ...(caFile ? ['--cacert', caFile] : []),
    url,
  ];
  const started = process.hrtime.bigint();
  const child = trackChild(spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', done);
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const at = stdout.lastIndexOf(marker);
  if (code !== 0 || at < 0) throw new Error(`curl exited with ${code}: ${stderr.trim()}`);
  return { status: Number(stdout.slice(at + marker.length)), body: stdout.slice(0, at), elapsedMs };
}

/** node:http with a hand-built multipart body around fs.createReadStream and an exact Content-Length. */
async function uploadWithNode({ url, file, size, credentials, field = 'module', timeoutMs = 300_000 }: UploadRequest) {
  const boundary = `----modfleet-bench-${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="module.zip"\r\n` +
      `Content-Type: application/zip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const started = process.hrtime.bigint();
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      timeout: timeoutMs,
      headers: {
        authorization: basicAuth(credentials),
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + size + tail.length,
        expect: '100-continue',
      },
    });
    req.once('timeout', () => req.destroy(new Error(`upload timed out after ${timeoutMs} ms`)));
    req.once('error', reject);
    req.once('continue', () => {
      req.write(head);
      pipeline(createReadStream(file), req, { end: false }).then(() => req.end(tail), reject);
    });
    req.once('response', res => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.once('error', reject);
    });
  });
  return { status, body, elapsedMs: Number(process.hrtime.bigint() - started) / 1e6 };
}
