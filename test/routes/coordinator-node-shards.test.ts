import { pathTo, routes, type NodeView } from '@modfleet/common';
import { createFakeBdbStore } from '@modfleet/coordinator/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bdbRecord, machineOf } from '../contracts/bdb-store-contract.js';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { api } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';

let coordinator: FakeCoordinator | undefined;
afterEach(async () => {
  await coordinator?.stop();
  coordinator = undefined;
});

const node = (addr: string) => ({ addr, instance_id: `instance-${addr}` });

describe('the node object’s shard_count and shard_list', () => {
  it('lists the shards the databases place on each node (GET /v1/nodes and /v1/nodes/<uid>)', async () => {
    const store = createFakeBdbStore();
    coordinator = await startFakeCoordinator({
      databases: { store, inventory: { read: () => Promise.resolve(new Map()) }, dbPorts: [[12000, 12009]] },
    });
    for (const addr of ['http://127.0.0.2:9443', 'http://127.0.0.3:9443', 'http://127.0.0.4:9443']) {
      await coordinator.services.nodes.register(node(addr));
    }
    // bdb 1: master shard 1 on node 1, replica shard 2 on node 2; bdb 2: shard 3 on node 2.
    for (const record of [bdbRecord(1, 12000, [1, 2], [1, 2]), bdbRecord(2, 12002, [3], [2])]) {
      await store.create(record, machineOf(record));
    }

    const all = await api<NodeView[]>(`${coordinator.url}${routes.nodes}`, { credentials: ADMIN });
    expect(all.body.map(n => [n.uid, n.shard_count, n.shard_list])).toEqual([
      [1, 1, [1]],
      [2, 2, [2, 3]],
      [3, 0, []],
    ]);
    const one = await api<NodeView>(`${coordinator.url}${pathTo(routes.node, { uid: 2 })}`, { credentials: ADMIN });
    expect(one.body).toMatchObject({ uid: 2, shard_count: 2, shard_list: [2, 3] });
  });
});
