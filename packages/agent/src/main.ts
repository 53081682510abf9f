import {
  connectRedis,
  createAuthenticator,
  createLogger,
  createRedis,
  createRedisClusterSettingsStore,
  createRedisUserStore,
  listen,
  redactRedisUrl,
  redisKeys,
  watchUserChanges,
  type Logger,
} from '@modfleet/common';
import { createAgentApp } from './app.js';
import { openDiskArtifactStore } from './artifacts/artifact-store.js';
import type { AgentConfig } from './config.js';

export interface RunningAgent {
  url: string;
  logger: Logger;
  /** Graceful stop: stop accepting, let in-flight uploads finish within the deadline, close Redis. */
  stop(deadlineMs?: number): Promise<void>;
}

export async function startAgent(
  config: AgentConfig,
  logger = createLogger({ name: 'agent', level: config.logLevel }),
): Promise<RunningAgent> {
  const keys = redisKeys(config.prefix);
  const redis = createRedis(config.redisUrl, 'http', logger);
  const subscriber = createRedis(config.redisUrl, 'subscriber', logger);
  await connectRedis(redis, config.redisUrl);
  await connectRedis(subscriber, config.redisUrl);

  const auth = createAuthenticator({ users: createRedisUserStore(redis, keys) });
  await watchUserChanges(subscriber, keys, auth);
  const store = await openDiskArtifactStore(config.dataDir, logger);
  const app = createAgentApp({
    logger,
    auth,
    settings: createRedisClusterSettingsStore(redis, keys),
    store,
    maxArtifactBytes: config.maxArtifactBytes,
    healthy: async () => (await redis.ping().catch(() => '')) === 'PONG',
  });
  const server = await listen(app, { host: config.host, port: config.port, tls: config.tls });
  logger.info(
    { url: server.url, redis: redactRedisUrl(config.redisUrl), prefix: config.prefix, dataDir: config.dataDir },
    'agent listening',
  );

  return {
    url: server.url,
    logger,
    async stop(deadlineMs = 30_000) {
      logger.info({ deadlineMs }, 'agent stopping');
      await server.close(deadlineMs);
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
      logger.info('agent stopped');
    },
  };
}
