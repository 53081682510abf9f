import { askRedis } from './redis-probe.js';
import { pollFor } from './poll.js';
import { freePort, runProcess, type Env, type ModfleetProcess } from './processes.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

/** A local Redis Cluster of three masters (no replicas), each a real redis-server on a free port. */
export interface RedisClusterSet {
  readonly ports: number[];
  /** What a service needs to use the cluster. */
  readonly env: Env;
  stop(): Promise<void>;
}

/** `cluster_state` from CLUSTER INFO (ok, fail), or `down` when the server does not answer. */
const clusterState = (port: number) =>
  askRedis(
    port,
    async redis => /cluster_state:(\w+)/.exec((await redis.call('CLUSTER', 'INFO')) as string)?.[1] ?? 'unknown',
    'down',
  );

export async function startRedisCluster(): Promise<RedisClusterSet> {
  const dir = await makeTmpDir('modfleet-redis-cluster');
  const servers: ModfleetProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(servers.map(server => server.kill()));
    await removeDir(dir);
  };
  try {
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      ports.push(port);
      servers.push(
        runProcess(
          'redis-server',
          [
            ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
            ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
          ],
          {},
          `redis-cluster@${port}`,
        ),
      );
    }
    for (const port of ports) {
      await pollFor(
        () => clusterState(port),
        state => state !== 'down',
        `cluster node ${port} up`,
        { timeoutMs: 10_000 },
      );
    }
    const create = runProcess(
      'redis-cli',
      ['--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-yes'],
      {},
      'redis-cli --cluster create',
    );
    const exit = await create.exited;
    if (exit.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.output()}`);
    for (const port of ports) {
      await pollFor(
        () => clusterState(port),
        state => state === 'ok',
        `cluster_state:ok on ${port}`,
        { timeoutMs: 30_000 },
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    env: {
      REDIS_URL: 'redis://unused.invalid:1',
      REDIS_CLUSTER_NODES: ports.map(port => `127.0.0.1:${port}`).join(','),
    },
    stop,
  };
}
