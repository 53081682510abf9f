import {
  ClusterHttpError,
  routes,
  sharedClusterHttpClient,
  type ClusterHttpClient,
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
const REGISTRATION_IDLE_TIMEOUT_MS = 30_000;

/** A refusal in 4xx cannot be fixed by asking again; a 5xx or no answer can. */
function permanentIfRefused(err: unknown): unknown {
  if (err instanceof ClusterHttpError && err.status >= 400 && err.status < 500)
    return new PermanentCoordinatorError(err.message, err.status);
  return err;
}

/** `http`: the cluster client (trusting the cluster CA for an https coordinator); default: Node's usual trust. */
export function createCoordinatorClient(
  baseUrl: string,
  clusterSecret: string,
  http: ClusterHttpClient = sharedClusterHttpClient(),
): CoordinatorClient {
  const url = (path: string) => new URL(path, baseUrl).toString();
  return {
    async register(request) {
      return http
        .json<NodeRegistrationAnswer>(url(routes.nodeRegister), {
          what: 'node registration',
          method: 'POST',
          clusterSecret,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request),
          idleTimeoutMs: REGISTRATION_IDLE_TIMEOUT_MS,
        })
        .catch((err: unknown) => {
          throw permanentIfRefused(err);
        });
    },
    // Straight into the hashing writer as Node buffers (fetch's web streams were about twice as slow per byte).
    async download(path, tempDir, onBytes) {
      return http
        .downloadToFile(url(path), tempDir, {
          what: 'artifact download',
          clusterSecret,
          idleTimeoutMs: DOWNLOAD_IDLE_TIMEOUT_MS,
          onBytes,
        })
        .catch((err: unknown) => {
          throw permanentIfRefused(err);
        });
    },
    async hasBlob(path) {
      const answer = await http.request(url(path), {
        what: 'blob check',
        clusterSecret,
        headers: { range: 'bytes=0-0' },
        idleTimeoutMs: DOWNLOAD_IDLE_TIMEOUT_MS,
      });
      answer.body.resume();
      if (answer.status === 200 || answer.status === 206) return true;
      if (answer.status === 404) return false;
      throw new Error(`blob check answered ${answer.status}`);
    },
  };
}
