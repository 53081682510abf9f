import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { Redis } from 'ioredis';
import type { FleetCluster } from './fleet-cluster.js';

export interface Endpoint {
  host: string;
  port: number;
}

/** What the client saw during one write, on the wall clock (epoch ms, sub-ms): for the bench's `--trace`. */
export interface WaitTrace {
  began: number;
  events: { at: number; what: string }[];
}

export interface WriteLoopResult {
  /** Every write the database acknowledged, in order. */
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
