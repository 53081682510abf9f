/**
 * The services the auth bench serves, built as `startAgent` and `startCoordinator` build them,
 * from the built packages (run `npx tsc -b` first).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAgentApp, openDiskArtifactStore } from '@modfleet/agent';
import {
  connectRedis,
  createAuthenticator,
  createRedis,
  cacheClusterSettings,
  createRedisClusterSettingsStore,
  createRedisUserStore,
  inspectArtifact,
  redisKeys,
  TEMP_UPLOAD_PREFIX,
  watchCcsChanges,
  type Logger,
} from '@modfleet/common';
import { loadCoordinatorConfig, startCoordinator, type RunningCoordinator } from '@modfleet/coordinator';
import type { Express } from 'express';
import { smallArtifactZip } from './artifact.js';
import { REDIS_URL } from '../../test/helpers/redis.js';
import { BENCH_ADMIN } from './util.js';

export interface BenchAgentApp {
  app: Express;
  close: () => Promise<void>;
}

/**
 * The agent's app as `startAgent` wires it (Redis-backed users and settings, the user-change
 * subscription, a real disk artifact store), without `listen`, holding `seeded` small artifacts.
 */
export async function buildAgentApp(options: {
  prefix: string;
  dataDir: string;
  logger: Logger;
  seeded: number;
}): Promise<BenchAgentApp> {
  const { prefix, dataDir, logger } = options;
  const keys = redisKeys(prefix);
  const redis = createRedis(REDIS_URL, 'http', logger);
  const subscriber = createRedis(REDIS_URL, 'subscriber', logger);
  const close = async () => {
    await Promise.allSettled([redis.quit(), subscriber.quit()]);
  };
  try {
    await connectRedis(redis, REDIS_URL);
    await connectRedis(subscriber, REDIS_URL);
    const auth = createAuthenticator({ users: createRedisUserStore(redis, keys) });
    const settings = cacheClusterSettings(createRedisClusterSettingsStore(redis, keys));
    await watchCcsChanges(subscriber, keys, { users: auth, settings });
    const store = await openDiskArtifactStore(dataDir, logger);
    for (let version = 1; version <= options.seeded; version += 1) {
      const zip = await smallArtifactZip('BenchSeeded', version);
      const path = join(store.tempDir, `${TEMP_UPLOAD_PREFIX}seed-${version}`);
      await writeFile(path, zip);
      const upload = { path, size: zip.length, sha256: createHash('sha256').update(zip).digest('hex') };
      await store.install(upload, await inspectArtifact(path));
    }
    const app = createAgentApp({
      logger,
      auth,
      settings,
      store,
      maxArtifactBytes: 1024 ** 3,
      healthy: async () => (await redis.ping().catch(() => '')) === 'PONG',
    });
    return { app, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The real coordinator (`startCoordinator`: every route, queue and background worker it
 * runs), in this process, on 127.0.0.1 and an ephemeral port, logging through `logger`.
 * Its configuration comes through `loadCoordinatorConfig`, so new settings take their defaults.
 */
export async function startBenchCoordinator(options: {
  prefix: string;
  dataDir: string;
  logger: Logger;
}): Promise<RunningCoordinator> {
  const config = loadCoordinatorConfig({
    REDIS_URL,
    MODFLEET_HOST: '127.0.0.1',
    MODFLEET_PORT: '0',
    MODFLEET_DATA_DIR: options.dataDir,
    MODFLEET_PREFIX: options.prefix,
    // The bench admin already exists under the prefix: the coordinator finds it and creates nobody.
    MODFLEET_ADMIN_EMAIL: BENCH_ADMIN.email,
    MODFLEET_CLUSTER_SECRET: 'bench-cluster-secret-0123456789',
    LOG_LEVEL: options.logger.level,
  });
  // Benches call it over plain HTTP (port 0 here: a free one), as before services served HTTPS by default.
  const coordinator = await startCoordinator({ ...config, httpPort: 0 }, options.logger);
  return Object.assign(coordinator, { url: coordinator.httpUrl ?? coordinator.url });
}
