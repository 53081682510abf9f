import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { Redis } from 'ioredis';
import type { FleetCluster } from './fleet-cluster.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface WriteLoopResult {
  /** Every write the database acknowledged, in order. */
  acknowledged: number[];
  /** From a write's first try to its acknowledgement, the longest. */
  longestWaitMs: number;
  errors: number;
}

export interface WriteLoad {
  /** Stops writing; resolves with every write acknowledged and the longest wait for one. */
  stop(): Promise<WriteLoopResult>;
}

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
 * asks `locate` where the master is now and retries the same write there after 20 ms. The tests
 * and the db-upgrade bench write through modfleet's endpoint with it, and the bench to servers
 * promoted by hand, so every wait is measured alike.
 */
export function startWriteLoop(locate: () => Promise<Endpoint>): WriteLoad {
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
export async function lostWritesAt(endpoint: Endpoint, acknowledged: number[]): Promise<number[]> {
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

/** Where GET /v1/bdbs/<uid> says the database's endpoint is now. */
export async function bdbEndpoint(cluster: Pick<FleetCluster, 'api'>, uid: number): Promise<Endpoint> {
  const bdb = await cluster.api<BdbObject>(pathTo(routes.bdb, { uid }));
  const endpoint = bdb.body.endpoints[0]!;
  return { host: endpoint.addr[0]!, port: endpoint.port };
}

/** The write loop through a database's endpoint, asking the coordinator where it is after each error. */
export const startWriteLoad = (cluster: FleetCluster, uid: number): WriteLoad =>
  startWriteLoop(() => bdbEndpoint(cluster, uid));

/** The acknowledged writes the database's master no longer holds. */
export const lostWrites = async (cluster: FleetCluster, uid: number, acknowledged: number[]): Promise<number[]> =>
  lostWritesAt(await bdbEndpoint(cluster, uid), acknowledged);
