import { Redis } from 'ioredis';

/**
 * A connection to a running shard for the pre-flight's quick questions: no retries, no queue,
 * 2 s timeouts, errors left to the caller's awaits. Connect it, and disconnect it when done.
 */
export function directShardClient(host: string, port: number): Redis {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
  client.on('error', () => undefined);
  return client;
}
