import { join } from 'node:path';
import { connectRedis, createRedis, type Logger } from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { AgentConfig } from '../config.js';
import { startAgent, type RunningAgent, type SharedAgentRedis } from '../main.js';
import { simulatedNodeConfig } from './simulated-node-config.js';

export interface SimulatedFleet {
  readonly agents: readonly RunningAgent[];
  /** Resolves with every node's uid once all have registered. */
  registered: Promise<number[]>;
  stop(deadlineMs?: number): Promise<void>;
}

/** Agents started at once: enough to start 500 in seconds, few enough not to swamp the coordinator's registration route. */
const START_BATCH = 25;

/**
 * Runs `nodes` complete agents in this process: each its own data dir (store and node uid),
 * HTTP listener (its advertised addr reaches its own routes, peer relay included), BullMQ
 * worker on its node queue and heartbeat. They share three Redis clients; only each worker's
 * blocking connection is its own, as BullMQ requires.
 */
export async function startSimulatedFleet(
  config: AgentConfig,
  nodes: number,
  logger: Logger,
  /** The index of this fleet's first node: simulations split over threads number their nodes on. */
  firstIndex = 0,
): Promise<SimulatedFleet> {
  const shared: SharedAgentRedis = {
    redis: createRedis(config.redisUrl, 'http', logger),
    subscriber: createRedis(config.redisUrl, 'subscriber', logger),
    workerConnection: createRedis(config.redisUrl, 'worker', logger),
  };
  const clients: Redis[] = [shared.redis, shared.subscriber, shared.workerConnection];
  // Every agent and worker listens on the shared clients: hundreds of listeners are expected here.
  for (const client of clients) client.setMaxListeners(0);
  const closeShared = () => Promise.allSettled(clients.map(client => client.quit()));
  const agents: RunningAgent[] = [];
  const stopAgents = (deadlineMs: number) => Promise.allSettled(agents.map(agent => agent.stop(deadlineMs)));
  try {
    for (const client of clients) await connectRedis(client, config.redisUrl);
    for (let first = firstIndex; first < firstIndex + nodes; first += START_BATCH) {
      const batch = Array.from({ length: Math.min(START_BATCH, firstIndex + nodes - first) }, (_, i) => first + i);
      const started = await Promise.allSettled(
        batch.map(index =>
          startAgent(
            simulatedNodeConfig(config, index),
            logger.child({ sim_node: index, dataDir: join(config.dataDir, `node-${index}`) }),
            shared,
          ),
        ),
      );
      for (const result of started) if (result.status === 'fulfilled') agents.push(result.value);
      const failed = started.find(result => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (err) {
    await stopAgents(1_000);
    await closeShared();
    throw err;
  }
  logger.info({ nodes, dataDir: config.dataDir }, 'simulated nodes started');
  return {
    agents,
    registered: Promise.all(agents.map(agent => agent.registered)).then(uids =>
      uids.filter((uid): uid is number => uid !== undefined),
    ),
    async stop(deadlineMs = 30_000) {
      await stopAgents(deadlineMs);
      await closeShared();
      logger.info({ nodes }, 'simulated nodes stopped');
    },
  };
}
