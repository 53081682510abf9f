import { Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { writeHashedTempFile, type HashedUpload } from '../artifacts/hashed-temp-file.js';
import { SIGNATURE_HEADER, signRequest } from '../fleet/cluster-signature.js';

/**
 * Pooled connections are closed after 4 s idle, before a Node server's own 5 s keep-alive
 * timeout would close them under a request about to be sent.
 */
export const POOLED_IDLE_MS = 4_000;
/**
 * No TCP connection (TLS handshake included) within this long: the call fails, so the caller can
 * try another member. As long as a relay source may stall before the next source is tried.
 */
export const CLUSTER_CONNECT_TIMEOUT_MS = 5_000;
/**
 * The forwarding proxy's defaults: a client is waiting, so a coordinator that does not connect
 * within 3 s is passed over for the next; once connected, 30 s without a byte either way ends it.
 */
export const PROXY_CONNECT_TIMEOUT_MS = 3_000;
export const PROXY_IDLE_TIMEOUT_MS = 30_000;

export interface ClusterHttpClientOptions {
  /** The cluster CA (PEM): https members are verified against it and nothing else. Absent: what Node trusts. */
  caPem?: string | undefined;
  connectTimeoutMs?: number;
}

export interface ClusterCall {
  /** Signs the request with the cluster secret (the `x-modfleet-signature` header). */
  clusterSecret?: string | undefined;
  method?: 'GET' | 'PUT' | 'POST' | 'DELETE';
  headers?: Record<string, string>;
  /**
   * Bytes are signed over; a stream is sent as it is read (with backpressure) and signed as an
   * empty body: its receiver checks it by other means (a blob's sha256 is in its path).
   */
  body?: string | Buffer | Readable;
  /** No byte either way for this long (sending, waiting for the answer, or within its body): the call fails. */
  idleTimeoutMs: number;
  /** What the call is, for error messages: "artifact download". */
  what: string;
}

export interface ClusterAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Must be read or destroyed. */
  body: Readable;
}

/** A member answered with a status the caller did not accept; `description` is its RS error's, when it sent one. */
export class ClusterHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly description: string,
  ) {
    super(message);
    this.name = 'ClusterHttpError';
  }
}

/** Return 'stop' once the sink has all it wants: the rest of the body is not read. */
export type ChunkSink = (chunk: Buffer) => Promise<void | 'stop'> | void | 'stop';

/**
 * Every call one cluster member makes to another (agent to coordinator, agent to peer agent,
 * coordinator to coordinator): one undici pool per member with keep-alive, the cluster CA, the
 * cluster signature, and idle timeouts, with the body streamed both ways.
 */
export interface ClusterHttpClient {
  request(url: string, call: ClusterCall): Promise<ClusterAnswer>;
  /** The JSON of a 200 answer; any other status throws ClusterHttpError. */
  json<T>(url: string, call: ClusterCall): Promise<T>;
  /** Streams a 200 answer into a new file under `tempDir`, hashing it; `onBytes(total)` as it lands. */
  downloadToFile(
    url: string,
    tempDir: string,
    call: ClusterCall & { onBytes?: (total: number) => void },
  ): Promise<HashedUpload>;
  /** Streams an answer whose status `accept` takes through `sink`, chunk by chunk, waiting for each. */
  downloadTo(url: string, sink: ChunkSink, call: ClusterCall & { accept?: (status: number) => boolean }): Promise<void>;
  close(): Promise<void>;
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the refusal's RS error description (or its text) into a ClusterHttpError. */
export async function refusal(answer: ClusterAnswer, what: string): Promise<ClusterHttpError> {
  const text = await readText(answer.body).catch(() => '');
  let description = text;
  try {
    description = (JSON.parse(text) as { description?: string }).description ?? text;
  } catch {
    // not JSON
  }
  return new ClusterHttpError(`${what} answered ${answer.status}: ${description}`, answer.status, description);
}

const IDLE_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** undici's timeout errors say which timer fired; the callers' logs say what stalled and for how long. */
function explained(err: unknown, call: ClusterCall): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && IDLE_CODES.has(code))
    return new Error(`${call.what} stalled: no bytes for ${call.idleTimeoutMs} ms`, { cause: err });
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new Error(`${call.what}: no connection in time`, { cause: err });
  return err;
}

export function createClusterHttpClient(options: ClusterHttpClientOptions = {}): ClusterHttpClient {
  const dispatcher = new Agent({
    keepAliveTimeout: POOLED_IDLE_MS,
    connect: {
      timeout: options.connectTimeoutMs ?? CLUSTER_CONNECT_TIMEOUT_MS,
      ...(options.caPem && { ca: options.caPem, rejectUnauthorized: true }),
    },
  });

  async function send(url: string, call: ClusterCall): Promise<ClusterAnswer> {
    const method = call.method ?? 'GET';
    const headers = { ...call.headers };
    if (call.clusterSecret) {
      const signedBody = typeof call.body === 'string' || Buffer.isBuffer(call.body) ? call.body : undefined;
      headers[SIGNATURE_HEADER] = signRequest(call.clusterSecret, method, new URL(url).pathname, signedBody);
    }
    try {
      const answer = await request(url, {
        dispatcher,
        method,
        headers,
        body: call.body ?? null,
        headersTimeout: call.idleTimeoutMs,
        bodyTimeout: call.idleTimeoutMs,
      });
      return { status: answer.statusCode, headers: answer.headers, body: answer.body };
    } catch (err) {
      throw explained(err, call);
    }
  }

  /** The body's own errors (a body timeout) are explained too. */
  async function reading<T>(call: ClusterCall, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw explained(err, call);
    }
  }

  return {
    request: send,
    async json<T>(url: string, call: ClusterCall) {
      const answer = await send(url, call);
      if (answer.status !== 200) throw await refusal(answer, call.what);
      return JSON.parse(await reading(call, () => readText(answer.body))) as T;
    },
    async downloadToFile(url, tempDir, call) {
      const answer = await send(url, call);
      if (answer.status !== 200) throw await refusal(answer, call.what);
      return reading(call, () => writeHashedTempFile(answer.body, tempDir, call.onBytes));
    },
    async downloadTo(url, sink, call) {
      const answer = await send(url, call);
      if (!(call.accept ?? (status => status === 200))(answer.status)) throw await refusal(answer, call.what);
      await reading(call, async () => {
        try {
          for await (const chunk of answer.body) if ((await sink(chunk as Buffer)) === 'stop') break;
        } finally {
          answer.body.destroy();
        }
      });
    },
    close: () => dispatcher.close(),
  };
}

let shared: ClusterHttpClient | undefined;

/** One client for callers given none: Node's usual trust (NODE_EXTRA_CA_CERTS included), created on first use. */
export function sharedClusterHttpClient(): ClusterHttpClient {
  shared ??= createClusterHttpClient();
  return shared;
}

/**
 * node:http(s) keep-alive pools with the same trust and idle time as the client, one per scheme,
 * for the one caller undici cannot serve: the agent's forwarding proxy, which passes
 * `Expect: 100-continue` upstream (see docs/architecture.md, "Calls between members").
 */
export function clusterNodeAgents(caPem?: string): (url: URL) => HttpAgent {
  const http = new HttpAgent({ keepAlive: true, timeout: POOLED_IDLE_MS });
  const https = new HttpsAgent({
    keepAlive: true,
    timeout: POOLED_IDLE_MS,
    ...(caPem && { ca: caPem, rejectUnauthorized: true }),
  });
  return url => (url.protocol === 'https:' ? https : http);
}
