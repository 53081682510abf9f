import type { HashedUpload, NodeRegistrationAnswer, NodeRegistrationRequest } from '@modfleet/common';
import { PermanentCoordinatorError, type CoordinatorClient } from './coordinator-client.js';

/**
 * The coordinators an agent knows (MODFLEET_COORDINATOR_URL=a,b), every one able to serve every
 * call: they share one Redis. Calls go to the one that answered last and move on to the next when
 * it does not answer, so a dead coordinator costs one refused connection, not a stalled fleet.
 */
export interface CoordinatorPool {
  /** Every base URL, the one that answered last first. */
  urls(): string[];
  /**
   * Runs `call` against each coordinator in turn until one succeeds. `retryOn` says which
   * failures are worth another coordinator (default: anything but a refusal the call cannot fix).
   */
  attempt<T>(call: (baseUrl: string) => Promise<T>, retryOn?: (err: unknown) => boolean): Promise<T>;
}

const notPermanent = (err: unknown) => !(err instanceof PermanentCoordinatorError);

export function createCoordinatorPool(baseUrls: readonly string[]): CoordinatorPool {
  if (baseUrls.length === 0) throw new Error('a coordinator pool needs at least one URL');
  const all = [...new Set(baseUrls)];
  let preferred = 0;
  const urls = () => all.map((_url, i) => all[(preferred + i) % all.length]!);
  return {
    urls,
    async attempt(call, retryOn = notPermanent) {
      let last: unknown;
      for (const url of urls()) {
        try {
          const result = await call(url);
          preferred = all.indexOf(url);
          return result;
        } catch (err) {
          last = err;
          if (!retryOn(err)) throw err;
        }
      }
      throw last;
    },
  };
}

/**
 * A CoordinatorClient over the pool: registration fails over like any call; a download also tries
 * the next coordinator on a 404, since a coordinator that missed a blob's copy may still lack it.
 */
export function pooledCoordinatorClient(
  pool: CoordinatorPool,
  clientFor: (baseUrl: string) => CoordinatorClient,
): CoordinatorClient {
  const clients = new Map<string, CoordinatorClient>();
  const client = (url: string) => {
    let existing = clients.get(url);
    if (!existing) clients.set(url, (existing = clientFor(url)));
    return existing;
  };
  return {
    register: (request: NodeRegistrationRequest): Promise<NodeRegistrationAnswer> =>
      pool.attempt(url => client(url).register(request)),
    download: (path: string, tempDir: string, onBytes: (total: number) => void): Promise<HashedUpload> =>
      pool.attempt(
        url => client(url).download(path, tempDir, onBytes),
        err => notPermanent(err) || (err as PermanentCoordinatorError).status === 404,
      ),
    /** Gone only when a coordinator says so and none holds it; one that cannot be asked is skipped. */
    async hasBlob(path: string): Promise<boolean> {
      let answered = false;
      let last: unknown;
      for (const url of pool.urls()) {
        try {
          if (await client(url).hasBlob(path)) return true;
          answered = true;
        } catch (err) {
          last = err;
        }
      }
      if (!answered) throw last;
      return false;
    },
  };
}
