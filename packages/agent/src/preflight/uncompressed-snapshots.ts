import { directShardClient } from './direct-shard-client.js';

/**
 * Turns the shard's `rdbcompression` off, for the pre-flight's copy of its data, and returns what
 * turns it back on. A fork saves with the value it was forked with, so the copy this node takes
 * next, and the one the other node takes right after it from the same replica, skip LZF: on 100
 * MiB of values it was most of a copy's CPU (1.3 s against 0.6 s uncompressed, two cores), in
 * the shard's own child. Only this node's agent, the one that runs the shard, switches it, so
 * two pre-flights never restore each other's value. Best effort: a shard that refuses is copied
 * compressed; a restore that fails leaves it uncompressed (same data, larger snapshots) until the
 * shard restarts, as the agent's planned restarts already save.
 */
export async function uncompressedSnapshots(host: string, port: number): Promise<() => Promise<void>> {
  const client = directShardClient(host, port);
  const nothing = () => Promise.resolve();
  try {
    await client.connect();
    const [, was] = (await client.call('CONFIG', 'GET', 'rdbcompression')) as [string, string];
    if (was !== 'yes') {
      client.disconnect();
      return nothing;
    }
    await client.call('CONFIG', 'SET', 'rdbcompression', 'no');
    return async () => {
      await client.call('CONFIG', 'SET', 'rdbcompression', 'yes').catch(() => undefined);
      client.disconnect();
    };
  } catch {
    client.disconnect();
    return nothing;
  }
}
