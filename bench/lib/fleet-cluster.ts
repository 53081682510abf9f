/**
 * A real fleet for the fleet benches: `modfleet coordinator` + N `modfleet agent` processes (the
 * built CLI), started by the e2e tests' helper (test/helpers/fleet-cluster.ts) under a bench
 * prefix. Its HTTP calls are in fleet-http.ts, what it reads from Redis in fleet-records.ts.
 */
import { redisKeys, type RedisKeys } from '@modfleet/common';
import { startFleetCluster, type FleetCluster } from '../../test/helpers/fleet-cluster.js';
import { killAllProcesses } from '../../test/helpers/processes.js';
import { deletePrefix } from '../../test/helpers/redis.js';
import { assertLoopback, benchPrefix, type Cleanup } from './util.js';

export interface BenchFleet {
  cluster: FleetCluster;
  prefix: string;
  keys: RedisKeys;
  coordinatorUrl: string;
  agentUrls: string[];
  /** Kills the processes, removes their data dirs and deletes the prefix (also run by the bench's Cleanup). */
  stop(): Promise<void>;
}

/**
 * Starts a coordinator and `nodes` agents as their own processes, on 127.0.0.1, under the prefix
 * `bench-<bench>-<uuid>`, and waits until every node is registered and active. Everything is
 * undone by the bench's Cleanup (also on Ctrl-C), even when the start fails half-way.
 */
export async function startBenchFleet(
  bench: string,
  cleanup: Cleanup,
  options: { nodes?: number; logLevel?: string } = {},
): Promise<BenchFleet> {
  const prefix = benchPrefix(bench);
  cleanup.add(`redis keys ${prefix}`, () => deletePrefix(prefix));
  // A fallback for a start interrupted before the cluster handle exists: every modfleet process this bench spawned.
  cleanup.add('modfleet processes', () => killAllProcesses());
  const env = {
    LOG_LEVEL: options.logLevel ?? 'info',
    // Run the services as `modfleet` runs them: plain node, no TypeScript loader inherited from the bench.
    ...(process.env.NODE_OPTIONS?.includes('tsx') && { NODE_OPTIONS: undefined }),
  };
  const cluster = await startFleetCluster({ prefix, nodes: options.nodes ?? 3, coordinatorEnv: env, agentEnv: env });
  const stop = () => cluster.stop();
  cleanup.add(`fleet ${prefix}`, stop);
  assertLoopback(cluster.coordinator.url);
  for (const agent of cluster.agents) assertLoopback(agent.url);
  return {
    cluster,
    prefix,
    keys: redisKeys(prefix),
    coordinatorUrl: cluster.coordinator.url,
    agentUrls: cluster.agents.map(agent => agent.url),
    stop,
  };
}

/**
 * One Ctrl-C reaches the bench several times (the terminal's process group, then relayed by
 * `npm exec` and by tsx's parent process), and `Cleanup` listens with `process.once`: without
 * another listener the second SIGINT would end the process half-way through its cleanup
 * (tsx exits when a signal finds no listener), leaving processes, keys and temp dirs behind.
 * This listener absorbs the repeats; should the cleanup hang, the process still exits after 60 s.
 */
export function holdRepeatedSignals(): void {
  let received = 0;
  const onSignal = () => {
    received += 1;
    if (received === 1) setTimeout(() => process.exit(130), 60_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
