import { ServiceUnavailableError } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createReplicaAck } from './replica-ack.js';

/** A connection whose master has `replicas` replicas, of which WAIT reports `acked`. */
function connection(replicas: number, acked: number | 'never') {
  const waits: [number, number][] = [];
  const fake = {
    info: () => Promise.resolve(`# Replication\r\nrole:master\r\nconnected_slaves:${replicas}\r\n`),
    wait: (count: number, timeoutMs: number) => {
      waits.push([count, timeoutMs]);
      return acked === 'never' ? new Promise<number>(() => undefined) : Promise.resolve(acked);
    },
  };
  return { redis: fake as unknown as Redis, waits };
}

describe('the replica acknowledgement behind a 202', () => {
  it('sends no WAIT when the master has no replicas (standalone Redis answers at once)', async () => {
    const ccs = connection(0, 0);
    const queue = connection(0, 0);

    await createReplicaAck({ writers: [ccs.redis, queue.redis], slotKey: 'p:actions' })();

    expect([ccs.waits, queue.waits]).toEqual([[], []]);
  });

  it('waits for one replica on every connection that wrote', async () => {
    const ccs = connection(2, 1);
    const queue = connection(2, 2);

    await createReplicaAck({ writers: [ccs.redis, queue.redis], slotKey: 'p:actions', timeoutMs: 300 })();

    expect([ccs.waits, queue.waits]).toEqual([[[1, 300]], [[1, 300]]]);
  });

  it('answers 503 replica_not_confirmed when a connection gets no replica in time', async () => {
    const ccs = connection(1, 1);
    const queue = connection(1, 0);

    const failure = await createReplicaAck({ writers: [ccs.redis, queue.redis], slotKey: 'p:actions', timeoutMs: 10 })()
      .then(() => undefined)
      .catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(ServiceUnavailableError);
    expect(failure).toMatchObject({ status: 503, code: 'replica_not_confirmed' });
  });

  it('gives up on a WAIT that never answers (a connection waiting out an outage) instead of hanging', async () => {
    const stuck = connection(1, 'never');

    const failure = await createReplicaAck({ writers: [stuck.redis], slotKey: 'p:actions', timeoutMs: 10 })()
      .then(() => undefined)
      .catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(ServiceUnavailableError);
  });

  it('gives up as well when the connection cannot even say how many replicas there are', async () => {
    const offline = { info: () => new Promise<string>(() => undefined) } as unknown as Redis;

    const failure = await createReplicaAck({ writers: [offline], slotKey: 'p:actions', timeoutMs: 10 })()
      .then(() => undefined)
      .catch((err: unknown) => err);

    expect(failure).toMatchObject({ status: 503, code: 'replica_not_confirmed' });
  });
});
