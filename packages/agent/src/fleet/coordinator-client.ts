import { get as httpGet, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { get as httpsGet, request as httpsRequest, type Agent } from 'node:https';
import {
  routes,
  SIGNATURE_HEADER,
  signRequest,
  writeHashedTempFile,
  type HashedUpload,
  type NodeRegistrationAnswer,
  type NodeRegistrationRequest,
} from '@modfleet/common';

/** Raised for answers that retrying cannot fix (a refused signature, a uid held by another agent, a missing blob). */
export class PermanentCoordinatorError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'PermanentCoordinatorError';
  }
}

export interface CoordinatorClient {
  register(request: NodeRegistrationRequest): Promise<NodeRegistrationAnswer>;
  /** Streams a blob into `tempDir`, hashing it on the way. */
  download(path: string, tempDir: string, onBytes: (total: number) => void): Promise<HashedUpload>;
  /** Whether the coordinator still holds a blob (false: it answered 404); reads one byte of it. */
  hasBlob(path: string): Promise<boolean>;
}

/** A stalled download (no bytes for this long) fails, so the job is retried instead of hanging. */
const DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;

async function readText(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A plain node:http(s) GET: the artifact streams as Node buffers straight into the hashing
 * writer, which fetch's web streams made about twice as slow per byte.
 */
function getStream(url: string, headers: Record<string, string>, agent: Agent | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:')
      ? httpsGet(url, { headers, ...(agent && { agent }) }, resolve)
      : httpGet(url, { headers }, resolve);
    request.setTimeout(DOWNLOAD_IDLE_TIMEOUT_MS, () => request.destroy(new Error('artifact download stalled')));
    request.on('error', reject);
  });
}

/** A JSON POST through node:http(s), so that an https URL is verified with the cluster's agent. */
function postJson(url: string, headers: Record<string, string>, body: string, agent: Agent | undefined) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const options: RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    };
    const request = url.startsWith('https:')
      ? httpsRequest(url, { ...options, ...(agent && { agent }) }, resolve)
      : httpRequest(url, options, resolve);
    request.setTimeout(30_000, () => request.destroy(new Error('node registration stalled')));
    request.on('error', reject);
    request.end(body);
  });
}

async function failure(status: number, body: AsyncIterable<unknown> | null, what: string): Promise<Error> {
  const text = body ? await readText(body).catch(() => '') : '';
  let description = text;
  try {
    description = (JSON.parse(text) as { description?: string }).description ?? text;
  } catch {
    // not JSON
  }
  const message = `${what} answered ${status}: ${description}`;
  return status >= 400 && status < 500 ? new PermanentCoordinatorError(message, status) : new Error(message);
}

/** `httpsAgent`: verifies an https coordinator against the cluster CA (createClusterHttpsAgent). */
export function createCoordinatorClient(baseUrl: string, clusterSecret: string, httpsAgent?: Agent): CoordinatorClient {
  const url = (path: string) => new URL(path, baseUrl).toString();
  return {
    async register(request) {
      const path = routes.nodeRegister;
      const body = JSON.stringify(request);
      const res = await postJson(
        url(path),
        { [SIGNATURE_HEADER]: signRequest(clusterSecret, 'POST', path, body) },
        body,
        httpsAgent,
      );
      if (res.statusCode !== 200) throw await failure(res.statusCode ?? 0, res, 'node registration');
      return JSON.parse(await readText(res)) as NodeRegistrationAnswer;
    },
    async download(path, tempDir, onBytes) {
      const res = await getStream(
        url(path),
        { [SIGNATURE_HEADER]: signRequest(clusterSecret, 'GET', path) },
        httpsAgent,
      );
      if (res.statusCode !== 200) throw await failure(res.statusCode ?? 0, res, 'artifact download');
      return writeHashedTempFile(res, tempDir, onBytes);
    },
    async hasBlob(path) {
      const res = await getStream(
        url(path),
        { [SIGNATURE_HEADER]: signRequest(clusterSecret, 'GET', path), range: 'bytes=0-0' },
        httpsAgent,
      );
      res.resume();
      if (res.statusCode === 200 || res.statusCode === 206) return true;
      if (res.statusCode === 404) return false;
      throw new Error(`blob check answered ${res.statusCode}`);
    },
  };
}
