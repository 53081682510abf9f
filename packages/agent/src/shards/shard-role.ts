import type { ShardPlan } from '@modfleet/common';
import { Redis } from 'ioredis';

/**
 * Applies a role-only plan change to a running shard without restarting it: `REPLICAOF NO ONE`
 * for a master, `REPLICAOF <host> <port>` for a replica (a no-op when it already is one of that
 * master). Its data and its clients stay.
 */
export async function applyShardRole(host: string, plan: ShardPlan): Promise<void> {
  const client = new Redis({
    host,
    port: plan.port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 5000,
  });
  try {
    await client.connect();
    if (plan.role === 'master' || !plan.replica_of) await client.call('REPLICAOF', 'NO', 'ONE');
    else await client.call('REPLICAOF', plan.replica_of.host, String(plan.replica_of.port));
  } finally {
    client.disconnect();
  }
}
