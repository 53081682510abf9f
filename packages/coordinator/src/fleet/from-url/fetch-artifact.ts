import { lookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  BadGatewayError,
  BadRequestError,
  PayloadTooLargeError,
  writeHashedTempFile,
  type HashedUpload,
} from '@modfleet/common';
import { Agent, request } from 'undici';
import { checkArtifactUrl, displayUrl, isLinkLocal, linkLocalRefusal } from './artifact-source.js';

export interface FetchTimeouts {
  /** Until the TCP (and TLS) connection is up. */
  connectMs: number;
  /** From the request sent until the status line and headers arrived. */
  headersMs: number;
  /** The longest wait for the next bytes of the body. */
  bodyIdleMs: number;
}

export const DEFAULT_FETCH_TIMEOUTS: FetchTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyIdleMs: 30_000 };
export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface ArtifactFetcherOptions {
  tempDir: string;
  maxBytes: number;
  /** `MODFLEET_PUSH_URL_ALLOW`: the URL prefixes pushes may come from (unset: any http(s) URL). */
  allow?: readonly string[] | undefined;
  timeouts?: FetchTimeouts;
}

export interface ArtifactRequest {
  url: URL;
  headers: Record<string, string>;
  /** Expected sha256 (lowercase hex); the fetched bytes are refused when they differ. */
  sha256?: string | undefined;
}

export interface ArtifactFetcher {
  /** The whole artifact in a hashed temp file under `tempDir`; the caller removes it. */
  fetch(source: ArtifactRequest): Promise<HashedUpload>;
  close(): Promise<void>;
}

class LinkLocalAddressError extends Error {
  readonly code = 'ELINKLOCAL';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup, refusing a name that resolves to a link-local address (a name pointed at 169.254.169.254). */
function guardedLookup(hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    if (addresses.some(({ address }) => isLinkLocal(address))) {
      return callback(new LinkLocalAddressError(`${hostname} resolves to a link-local address`), []);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

/** Why undici gave up, in words that name neither headers nor credentials. */
function reason(err: unknown, timeouts: FetchTimeouts): string {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed by the server';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `no connection within ${timeouts.connectMs / 1000} s`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `no answer within ${timeouts.headersMs / 1000} s`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `no bytes for ${timeouts.bodyIdleMs / 1000} s`;
    default:
      // A certificate problem is worth its words; other messages may quote the request, so only the code.
      if (typeof code === 'string' && /CERT|SIGNATURE|TLS|SSL/.test(code) && err instanceof Error) {
        return `TLS: ${err.message}`;
      }
      return typeof code === 'string' ? code : 'the request failed';
  }
}

/** A failure of the connection (the body stopped, the server hung up), not of our disk. */
function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(UND_ERR_|ECONN|EPIPE|ETIMEDOUT)/.test(code);
}

const unreachable = (url: URL, err: unknown, timeouts: FetchTimeouts) =>
  new BadGatewayError('artifact_fetch_failed', `${displayUrl(url)} could not be read: ${reason(err, timeouts)}`);

const tooLarge = (maxBytes: number) =>
  new PayloadTooLargeError(
    'artifact_too_large',
    `The module artifact is larger than this node accepts (${maxBytes} bytes)`,
  );

/** The body as it arrives, cut off with 413 once it passes `maxBytes`. */
async function* capped(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    yield chunk;
  }
}

/**
 * Fetches push artifacts from http(s) URLs: one GET (redirects followed up to `MAX_REDIRECTS`, each
 * one checked as the first URL), streamed to a hashed temp file under the same size limit as an
 * upload. Caller headers go only to the first URL's origin, as browsers do with credentials.
 */
export function createArtifactFetcher({
  tempDir,
  maxBytes,
  allow,
  timeouts = DEFAULT_FETCH_TIMEOUTS,
}: ArtifactFetcherOptions): ArtifactFetcher {
  const agent = new Agent({
    connect: { timeout: timeouts.connectMs, lookup: guardedLookup },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyIdleMs,
  });

  async function get(url: URL, headers: Record<string, string>) {
    try {
      return await request(url, { method: 'GET', headers, dispatcher: agent, reset: true });
    } catch (err) {
      if (err instanceof LinkLocalAddressError) throw linkLocalRefusal(url);
      throw unreachable(url, err, timeouts);
    }
  }

  async function download(url: URL, headers: Record<string, string>): Promise<HashedUpload> {
    const origin = url.origin;
    let current = url;
    for (let redirects = 0; ; redirects++) {
      checkArtifactUrl(current, allow);
      const res = await get(current, current.origin === origin ? headers : {});
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode) && typeof location === 'string') {
        await res.body.dump();
        if (redirects === MAX_REDIRECTS) {
          throw new BadGatewayError(
            'artifact_fetch_failed',
            `${displayUrl(url)} redirected more than ${MAX_REDIRECTS} times`,
          );
        }
        current = new URL(location, current);
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump();
        // The URL or its credentials are wrong (4xx: the caller's mistake), or the server failed (5xx).
        const ErrorClass = res.statusCode < 500 ? BadRequestError : BadGatewayError;
        throw new ErrorClass('artifact_fetch_failed', `${displayUrl(current)} answered ${res.statusCode}`);
      }
      if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
        res.body.destroy();
        throw tooLarge(maxBytes);
      }
      try {
        return await writeHashedTempFile(Readable.from(capped(res.body, maxBytes)), tempDir);
      } catch (err) {
        res.body.destroy();
        throw isNetworkError(err) ? unreachable(current, err, timeouts) : err;
      }
    }
  }

  return {
    async fetch({ url, headers, sha256 }) {
      const upload = await download(url, headers);
      if (sha256 !== undefined && upload.sha256 !== sha256) {
        await rm(upload.path, { force: true });
        throw new BadRequestError(
          'sha256_mismatch',
          `The artifact at ${displayUrl(url)} has sha256 ${upload.sha256}, not the ${sha256} the request gave: nothing was pushed`,
        );
      }
      return upload;
    },
    close: () => agent.close(),
  };
}
