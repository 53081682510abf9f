import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { SIGNATURE_HEADER, signRequest, writeHashedTempFile, type HashedUpload } from '@modfleet/common';

export interface RegistrationRequest {
  uid?: number | undefined;
  addr: string;
  instance_id: string;
}

export interface RegistrationResponse {
  uid: number;
  joined: boolean;
}

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
  register(request: RegistrationRequest): Promise<RegistrationResponse>;
  /** Streams a blob into `tempDir`, hashing it on the way. */
  download(path: string, tempDir: string, onBytes: (total: number) => void): Promise<HashedUpload>;
}

async function failure(res: Response, what: string): Promise<Error> {
  const text = await res.text().catch(() => '');
  let description = text;
  try {
    description = (JSON.parse(text) as { description?: string }).description ?? text;
  } catch {
    // not JSON
  }
  const message = `${what} answered ${res.status}: ${description}`;
  return res.status >= 400 && res.status < 500
    ? new PermanentCoordinatorError(message, res.status)
    : new Error(message);
}

export function createCoordinatorClient(baseUrl: string, clusterSecret: string): CoordinatorClient {
  const url = (path: string) => new URL(path, baseUrl).toString();
  return {
    async register(request) {
      const path = '/internal/nodes/register';
      const res = await fetch(url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signRequest(clusterSecret, 'POST', path) },
        body: JSON.stringify(request),
      });
      if (!res.ok) throw await failure(res, 'node registration');
      return (await res.json()) as RegistrationResponse;
    },
    async download(path, tempDir, onBytes) {
      const res = await fetch(url(path), { headers: { [SIGNATURE_HEADER]: signRequest(clusterSecret, 'GET', path) } });
      if (!res.ok || !res.body) throw await failure(res, 'artifact download');
      return writeHashedTempFile(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tempDir, onBytes);
    },
  };
}
