/** Many `POST /v1/bdbs` at once against the real Redis store: each one gets its own ports. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  errorMiddleware,
  redisKeys,
  requestLogger,
  routes,
  type Authenticator,
  type BdbObject,
  type NodeView,
  type PublicUser,
} from '@modfleet/common';
import { bdbRoutes, createRedisBdbStore, type BdbStore } from '@modfleet/coordinator';
import { createFakeEventLog } from '@modfleet/coordinator/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { api } from '../helpers/http.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const adminAuth: Authenticator = {
  verify: email => Promise.resolve({ uid: 1, email, name: 'admin', role: 'admin', status: 'active' } as PublicUser),
  invalidate() {},
};
const admin = { email: 'admin@test', password: 'any-password' };

const nodeView = (uid: number): NodeView =>
  ({
    uid,
    url: `https://127.0.0.${uid + 1}:9443`,
    status: 'active',
    total_memory: 64 * 1024 ** 3,
    supported_database_versions: [{ db_type: 'redis', version: '7.0.15', redis_version: '7.0' }],
  }) as NodeView;

const redis = new Redis(REDIS_URL);
const prefixes: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => new Promise(resolve => s.close(resolve))));
  await Promise.all(prefixes.splice(0).map(deletePrefix));
});
afterAll(() => redis.disconnect());

/** The bdb routes in process over the Redis store, on two active nodes with no modules. */
async function startRoutes(dbPorts: [number, number][]): Promise<{ url: string; store: BdbStore }> {
  const prefix = uniquePrefix('bdb-concurrent');
  prefixes.push(prefix);
  const store = createRedisBdbStore(redis, redisKeys(prefix));
  const app = express();
  app.use(requestLogger(createLogger({ name: 'test', level: 'silent' })));
  app.use(
    bdbRoutes({
      auth: adminAuth,
      store,
      modules: { list: () => Promise.resolve([]) },
      nodes: { list: () => Promise.resolve([nodeView(1), nodeView(2)]) },
      inventory: { read: () => Promise.resolve(new Map()) },
      dbPorts,
      events: createFakeEventLog(),
    }),
  );
  app.use(errorMiddleware());
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store };
}

const createAll = (url: string, bodies: object[]) =>
  Promise.all(bodies.map(json => api<BdbObject>(`${url}${routes.bdbs}`, { method: 'POST', credentials: admin, json })));

/** Every port a database's shards were planned on (the master's is the endpoint's). */
async function plannedPorts(store: BdbStore): Promise<number[]> {
  const plans = [...(await store.plans(1)).values(), ...(await store.plans(2)).values()];
  return plans.map(p => p.port).sort((a, b) => a - b);
}

describe('concurrent POST /v1/bdbs without a port', () => {
  it('creates all 25 replicated databases, each on ports of its own', async () => {
    const { url, store } = await startRoutes([[12000, 12099]]);
    const answers = await createAll(
      url,
      Array.from({ length: 25 }, (_, i) => ({ name: `db-${i}`, memory_size: 1024, replication: true })),
    );

    expect(answers.map(a => [a.status, a.body.endpoints?.[0]?.port !== undefined])).toEqual(
      answers.map(() => [200, true]),
    );
    const uids = answers.map(a => a.body.uid);
    expect(new Set(uids).size).toBe(25);
    const ports = await plannedPorts(store);
    expect(ports).toEqual(Array.from({ length: 50 }, (_, i) => 12000 + i));
    expect([...(await store.usedPorts())].sort((a, b) => a - b)).toEqual(ports);
    const endpoints = answers.map(a => a.body.endpoints[0]!.port);
    expect(new Set(endpoints).size).toBe(25);
    for (const bdb of await store.list()) {
      const [master, replica] = bdb.placement;
      expect(master!.plan.port).toBe(bdb.endpoints[0]!.port);
      expect(replica!.plan.replica_of).toEqual({ host: '127.0.0.2', port: master!.plan.port });
    }
  });

  it('spreads 20 databases created together evenly over the nodes', async () => {
    const { url, store } = await startRoutes([[12000, 12099]]);
    const answers = await createAll(
      url,
      Array.from({ length: 20 }, (_, i) => ({ name: `db-${i}`, memory_size: 1024 })),
    );

    expect(answers.map(a => a.status)).toEqual(answers.map(() => 200));
    expect([(await store.plans(1)).size, (await store.plans(2)).size]).toEqual([10, 10]);
  });

  it('refuses those the range has no ports left for, holding nothing for them', async () => {
    const { url, store } = await startRoutes([[12000, 12009]]);
    const answers = await createAll(
      url,
      Array.from({ length: 8 }, (_, i) => ({ name: `db-${i}`, memory_size: 1024, replication: true })),
    );

    const created = answers.filter(a => a.status === 200);
    const refused = answers.filter(a => a.status !== 200);
    expect(created).toHaveLength(5);
    expect(refused.map(a => [a.status, (a.body as unknown as { error_code: string }).error_code])).toEqual(
      refused.map(() => [406, 'insufficient_resources']),
    );
    expect((await store.list()).map(r => r.uid).sort((a, b) => a - b)).toEqual(
      created.map(a => a.body.uid).sort((a, b) => a - b),
    );
    expect([...(await store.usedPorts())].sort((a, b) => a - b)).toEqual(await plannedPorts(store));
    expect(await store.usedPorts()).toEqual(new Set(Array.from({ length: 10 }, (_, i) => 12000 + i)));
  });
});
