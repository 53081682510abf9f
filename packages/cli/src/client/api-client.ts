import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { ApiError, ConnectionError } from './api-errors.js';

export { ApiError, ConnectionError, DEFAULT_URL, DEFAULT_USER } from './api-errors.js';

export interface ClientConfig {
  url: string;
  user?: string | undefined;
  password?: string | undefined;
  /** Accept a self-signed (or otherwise unverifiable) TLS certificate: curl's -k. */
  insecure?: boolean | undefined;
  /** A CA certificate (PEM) to trust beside Node's own: the local cluster's, or --cacert. */
  ca?: string | undefined;
  /** Per request, uploads excepted (they take as long as the bytes take). */
  timeoutMs?: number | undefined;
}

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(err: unknown): string | undefined {
  for (let current: unknown = err, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function innermostMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    message = current.message;
    current = current.cause;
  }
  return message;
}

/** One sentence naming the URL, whatever went wrong below HTTP. */
export function connectionError(err: unknown, baseUrl: string): ConnectionError {
  const code = errorCode(err);
  const name = (err as { name?: unknown }).name;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new ConnectionError(baseUrl, 'timeout', `the coordinator at ${baseUrl} did not answer in time`);
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError(
        baseUrl,
        'connection_refused',
        `cannot connect to the coordinator at ${baseUrl}: connection refused (is it running? point --url or MODFLEET_URL at it)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(baseUrl, 'host_not_found', `cannot resolve the host of ${baseUrl}`);
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return new ConnectionError(
        baseUrl,
        'connection_reset',
        `the connection to ${baseUrl} was closed before an answer (an https URL on an http server, or the reverse?)`,
      );
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'EPROTO':
      return new ConnectionError(
        baseUrl,
        'tls_handshake_failed',
        `${baseUrl} does not answer TLS: the service may be plain HTTP (use an http:// URL)`,
      );
    default:
      if (code && (TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))) {
        return new ConnectionError(
          baseUrl,
          'tls_verification_failed',
          `cannot verify the TLS certificate of ${baseUrl}: ${innermostMessage(err)}`,
          'pass -k/--insecure to skip verification, or --cacert <file> with the cluster CA (`modfleet up` prints where it is)',
        );
      }
      return new ConnectionError(baseUrl, 'request_failed', `request to ${baseUrl} failed: ${innermostMessage(err)}`);
  }
}

export interface UploadFile {
  path: string;
  /** Multipart field name (RS: `module`). */
  field: string;
  contentType?: string;
  /** Called as the body is handed to the socket: bytes so far and the whole body's length. */
  onProgress?: (sent: number, total: number) => void;
}

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string): Promise<T>;
  /** `timeoutMs`: for a request the server answers only once it has worked (an upgrade's pre-flight). */
  post<T>(path: string, json?: unknown, options?: { timeoutMs?: number }): Promise<T>;
  put<T>(path: string, json: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** multipart/form-data: text fields, then the file streamed from disk (never read into memory). */
  upload<T>(path: string, file: UploadFile, fields?: Record<string, string>): Promise<T>;
  close(): Promise<void>;
}

function authorization(config: ClientConfig): string | undefined {
  if (config.user === undefined || config.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${config.user}:${config.password}`).toString('base64')}`;
}

function answer<T>(status: number, statusText: string, text: string): T {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300) {
    if (body === undefined && text !== '') {
      throw new ApiError(status, 'unexpected_response', `expected JSON, got: ${text.trim().slice(0, 120)}`);
    }
    return body as T;
  }
  const rs = body as { error_code?: unknown; description?: unknown } | undefined;
  if (rs && typeof rs === 'object' && typeof rs.error_code === 'string') {
    throw new ApiError(status, rs.error_code, typeof rs.description === 'string' ? rs.description : statusText);
  }
  throw new ApiError(status, `http_${status}`, text.trim().slice(0, 200) || statusText || `HTTP ${status}`);
}

/** A multipart/form-data body whose length is known up front, the file part streamed from disk. */
export interface MultipartBody {
  contentType: string;
  length: number;
  stream(): Readable;
}

const quote = (value: string) => value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

export async function multipartBody(file: UploadFile, fields: Record<string, string> = {}): Promise<MultipartBody> {
  const { size } = await stat(file.path);
  const boundary = `----modfleet-${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(
    [
      ...Object.entries(fields).map(
        ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`,
      ),
      `--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(basename(file.path))}"\r\n`,
      `Content-Type: ${file.contentType ?? 'application/zip'}\r\n\r\n`,
    ].join(''),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + size + tail.length;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    stream: () =>
      Readable.from(
        (async function* () {
          let sent = 0;
          const counted = (chunk: Buffer) => {
            sent += chunk.length;
            file.onProgress?.(sent, length);
            return chunk;
          };
          yield counted(head);
          for await (const chunk of createReadStream(file.path, { highWaterMark: 256 * 1024 })) {
            yield counted(chunk as Buffer);
          }
          yield counted(tail);
        })(),
        { objectMode: false },
      ),
  };
}

export function createApiClient(config: ClientConfig): ApiClient {
  const baseUrl = config.url.replace(/\/+$/, '');
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: !config.insecure, ...(config.ca && { ca: [...rootCertificates, config.ca] }) },
  });
  const auth = authorization(config);
  const timeoutMs = config.timeoutMs ?? 30_000;

  async function send<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    body: { json?: unknown; multipart?: MultipartBody } = {},
    requestTimeoutMs = timeoutMs,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = auth;
    let payload: string | Readable | undefined;
    if (body.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body.multipart) {
      headers['content-type'] = body.multipart.contentType;
      headers['content-length'] = String(body.multipart.length);
      payload = body.multipart.stream();
    }
    try {
      const res = await request(`${baseUrl}${path}`, {
        method,
        headers,
        body: payload,
        dispatcher,
        // uploads take as long as their bytes take; everything else answers quickly or not at all
        // (undici's own wait for the answer's headers, 300 s, must not cut a longer requestTimeoutMs short)
        ...(!body.multipart && { signal: AbortSignal.timeout(requestTimeoutMs), headersTimeout: requestTimeoutMs }),
      });
      const text = await res.body.text();
      return answer<T>(res.statusCode, STATUS_CODES[res.statusCode] ?? '', text);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw connectionError(err, baseUrl);
    }
  }

  return {
    baseUrl,
    get: path => send('GET', path),
    post: (path, json, options) => send('POST', path, { json }, options?.timeoutMs),
    put: (path, json) => send('PUT', path, { json }),
    delete: path => send('DELETE', path),
    async upload(path, file, fields) {
      return send('POST', path, { multipart: await multipartBody(file, fields) });
    },
    close: () => dispatcher.close(),
  };
}
