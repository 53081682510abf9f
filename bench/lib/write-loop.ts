import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface Endpoint {
  host: string;
  port: number;
}

/** What the client saw during one write, on the wall clock (epoch ms, sub-ms): for `--trace`. */
export interface WaitTrace {
  began: number;
  events: { at: number; what: string }[];
}

export interface WriteLoopResult {
  acknowledged: number[];
  /** From a write's first try to its acknowledgement, the longest. */
  longestWaitMs: number;
  /** The longest wait's steps (first try, errors, endpoint re-reads, reconnects, acknowledgement). */
  longest?: WaitTrace;
  /** The writes that needed a retry (the first 20), with their waits. */
  retried: (WaitTrace & { waitMs: number })[];
  errors: number;
}

const wallClock = () => performance.timeOrigin + performance.now();

export const FILL_VALUE_BYTES = 64 * 1024;

/** A client that fails at once instead of retrying or queueing: the loop decides what to do. */
export function directClient({ host, port }: Endpoint): Redis {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 1000,
    commandTimeout: 15_000,
  });
  client.on('error', () => undefined);
  return client;
}

/**
 * A client looping `SET w:<i> <i>` as an application would: on READONLY or a connection error it
 * asks `locate` where the master is now and retries the same write there after 20 ms. The same
 * loop writes through modfleet's endpoint and to the servers promoted by hand, so both waits
 * are measured alike.
 */
export function startWriteLoop(locate: () => Promise<Endpoint>): { stop(): Promise<WriteLoopResult> } {
  const acknowledged: number[] = [];
  let longestWaitMs = 0;
  let longest: WaitTrace | undefined;
  const retried: WriteLoopResult['retried'] = [];
  let errors = 0;
  let stopping = false;
  const run = (async () => {
    let client: Redis | undefined;
    for (let i = 0; !stopping; i++) {
      const began = performance.now();
      const trace: WaitTrace = { began: performance.timeOrigin + began, events: [] };
      const note = (what: string) => trace.events.push({ at: wallClock(), what });
      for (;;) {
        try {
          if (!client) {
            note('locate');
            const endpoint = await locate();
            note(`located ${endpoint.host}:${endpoint.port}`);
            client = directClient(endpoint);
            await client.connect();
            note('connected');
          }
          await client.set(`w:${i}`, String(i));
          acknowledged.push(i);
          break;
        } catch (err) {
          note(`error ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          errors++;
          client?.disconnect();
          client = undefined;
          if (stopping) return;
          await sleep(20);
        }
      }
      const waited = performance.now() - began;
      const failed = trace.events.some(e => e.what.startsWith('error'));
      if (waited > longestWaitMs || failed) note('acknowledged');
      if (waited > longestWaitMs) [longestWaitMs, longest] = [waited, trace];
      if (failed && retried.length < 20) retried.push({ ...trace, waitMs: waited });
    }
    client?.disconnect();
  })();
  return {
    async stop() {
      stopping = true;
      await run;
      return { acknowledged, longestWaitMs, ...(longest && { longest }), retried, errors };
    },
  };
}

/** The acknowledged writes `endpoint` no longer holds. */
export async function lostWrites(endpoint: Endpoint, acknowledged: number[]): Promise<number[]> {
  const client = directClient(endpoint);
  await client.connect();
  try {
    const lost: number[] = [];
    for (let start = 0; start < acknowledged.length; start += 1000) {
      const batch = acknowledged.slice(start, start + 1000);
      const values = await client.mget(...batch.map(i => `w:${i}`));
      batch.forEach((i, n) => {
        if (values[n] !== String(i)) lost.push(i);
      });
    }
    return lost;
  } finally {
    client.disconnect();
  }
}

/**
 * Fills a database with `sizeMib` MiB of random 64 KiB values (pipelined, 1 MiB at a time) and
 * 100 mfver typed keys; returns how many keys it wrote.
 */
export async function fillWithData(endpoint: Endpoint, sizeMib: number): Promise<number> {
  const client = directClient(endpoint);
  await client.connect();
  try {
    const count = Math.round((sizeMib * 1024 * 1024) / FILL_VALUE_BYTES);
    for (let i = 0; i < count; i += 16) {
      const batch = client.pipeline();
      for (let j = i; j < Math.min(count, i + 16); j++) batch.set(`fill:${j}`, randomBytes(FILL_VALUE_BYTES));
      for (const [err] of (await batch.exec()) ?? []) if (err) throw err;
    }
    for (let i = 0; i < 100; i++) await client.call('MFVER.SET', `typed:${i}`, `value ${i}`);
    return count + 100;
  } finally {
    client.disconnect();
  }
}
