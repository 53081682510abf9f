import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface Endpoint {
  host: string;
  port: number;
}

export interface WriteLoopResult {
  acknowledged: number[];
  /** From a write's first try to its acknowledgement, the longest. */
  longestWaitMs: number;
  errors: number;
}

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
  let errors = 0;
  let stopping = false;
  const run = (async () => {
    let client: Redis | undefined;
    for (let i = 0; !stopping; i++) {
      const began = performance.now();
      for (;;) {
        try {
          if (!client) {
            client = directClient(await locate());
            await client.connect();
          }
          await client.set(`w:${i}`, String(i));
          acknowledged.push(i);
          break;
        } catch {
          errors++;
          client?.disconnect();
          client = undefined;
          if (stopping) return;
          await sleep(20);
        }
      }
      longestWaitMs = Math.max(longestWaitMs, performance.now() - began);
    }
    client?.disconnect();
  })();
  return {
    async stop() {
      stopping = true;
      await run;
      return { acknowledged, longestWaitMs, errors };
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
