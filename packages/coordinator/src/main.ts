import { mkdir } from 'node:fs/promises';
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
import { createCoordinatorApp } from './app.js';
import type { CoordinatorConfig } from './config.js';
import { createRedisModuleStore } from './modules/module-store.js';
import { ensureAdmin } from './users/bootstrap-admin.js';

export interface RunningCoordinator {
  url: string;
  logger: Logger;
  stop(deadlineMs?: number): Promise<void>;
}

export async function startCoordinator(
  config: CoordinatorConfig,
  logger = createLogger({ name: 'coordinator', level: config.logLevel }),
): Promise<RunningCoordinator> {
  const keys = redisKeys(config.prefix);
  const redis = createRedis(config.redisUrl, 'http', logger);
  const subscriber = createRedis(config.redisUrl, 'subscriber', logger);
  try {
    await connectRedis(redis, config.redisUrl);
    await connectRedis(subscriber, config.redisUrl);
    const users = createRedisUserStore(redis, keys);
    await ensureAdmin(users, { email: config.adminEmail, password: config.adminPassword }, logger);
    await mkdir(config.dataDir, { recursive: true });

    const auth = createAuthenticator({ users });
    await watchUserChanges(subscriber, keys, auth);
    const app = createCoordinatorApp({
      logger,
      auth,
      users,
      settings: createRedisClusterSettingsStore(redis, keys),
      modules: createRedisModuleStore(redis, keys),
      healthy: async () => (await redis.ping().catch(() => '')) === 'PONG',
    });
    const server = await listen(app, { host: config.host, port: config.port, tls: config.tls });
    logger.info(
      { url: server.url, redis: redactRedisUrl(config.redisUrl), prefix: config.prefix },
      'coordinator listening',
    );

    return {
      url: server.url,
      logger,
      async stop(deadlineMs = 30_000) {
        logger.info({ deadlineMs }, 'coordinator stopping');
        await server.close(deadlineMs);
        await Promise.allSettled([redis.quit(), subscriber.quit()]);
        logger.info('coordinator stopped');
      },
    };
  } catch (err) {
    redis.disconnect();
    subscriber.disconnect();
    throw err;
  }
}
