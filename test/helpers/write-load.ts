import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { Redis } from 'ioredis';
import type { FleetCluster } from './fleet-cluster.js';
import { sleep } from './poll.js';

export interface WriteLoad {
  /** Stops writing; resolves with every write the database acknowledged and the longest wait for one. */
  stop(): Promise<{ acknowledged: number[]; longestWaitMs: number; errors: number }>;
}

const clientFor = (host: string, port: number) =>
  new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 1000,
    commandTimeout: 15_000,
  });

/**
 * A client looping `SET w:<i> <i>`, as an application would: it records each acknowledged write,
 * and on READONLY or a connection error asks GET /v1/bdbs/<uid> where the endpoint is now and
 * retries the same write there. The longest wait is from a write's first try to its acknowledgement.
 */
export function startWriteLoad(cluster: FleetCluster, uid: number): WriteLoad {
  const acknowledged: number[] = [];
  let longestWaitMs = 0;
  let errors = 0;
  let stopping = false;
  const run = (async () => {
    let client: Redis | undefined;
    for (let i = 0; !stopping; i++) {
      const began = Date.now();
      for (;;) {
        try {
          if (!client) {
            const bdb = await cluster.api<BdbObject>(pathTo(routes.bdb, { uid }));
            const endpoint = bdb.body.endpoints[0]!;
            client = clientFor(endpoint.addr[0]!, endpoint.port);
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
      longestWaitMs = Math.max(longestWaitMs, Date.now() - began);
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

/** The acknowledged writes the database's master no longer holds. */
export async function lostWrites(cluster: FleetCluster, uid: number, acknowledged: number[]): Promise<number[]> {
  const bdb = await cluster.api<BdbObject>(pathTo(routes.bdb, { uid }));
  const endpoint = bdb.body.endpoints[0]!;
  const client = clientFor(endpoint.addr[0]!, endpoint.port);
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
