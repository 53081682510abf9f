import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
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
function getStream(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? httpsGet : httpGet)(url, { headers }, resolve);
    request.setTimeout(DOWNLOAD_IDLE_TIMEOUT_MS, () => request.destroy(new Error('artifact download stalled')));
    request.on('error', reject);
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

export function createCoordinatorClient(baseUrl: string, clusterSecret: string): CoordinatorClient {
  const url = (path: string) => new URL(path, baseUrl).toString();
  return {
    async register(request) {
      const path = routes.nodeRegister;
      const res = await fetch(url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signRequest(clusterSecret, 'POST', path) },
        body: JSON.stringify(request),
      });
      if (!res.ok) throw await failure(res.status, res.body, 'node registration');
      return (await res.json()) as NodeRegistrationAnswer;
    },
    async download(path, tempDir, onBytes) {
      const res = await getStream(url(path), { [SIGNATURE_HEADER]: signRequest(clusterSecret, 'GET', path) });
      if (res.statusCode !== 200) throw await failure(res.statusCode ?? 0, res, 'artifact download');
      return writeHashedTempFile(res, tempDir, onBytes);
    },
  };
}
