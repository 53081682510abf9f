import { describeCoordinator, liveCoordinators, redactRedisUrl, redisKeys, serviceSchemaOf } from '@modfleet/common';
import { Redis } from 'ioredis';

/**
 * Before `modfleet up` starts its coordinator: the live coordinators already serving this Redis
 * prefix, told loudly on the terminal (two clusters on one prefix share every user, node, artifact
 * and queue). A warning, not a refusal: the user may mean to attach to that cluster's state.
 */
export async function warnIfPrefixInUse(
  redisUrl: string,
  prefix: string | undefined,
  say: (line: string) => void,
): Promise<void> {
  const effective = serviceSchemaOf('MODFLEET_PREFIX', 'coordinator').parse(prefix) as string;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1500 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const live = await liveCoordinators(redis, redisKeys(effective));
    if (live.length === 0) return;
    say(
      [
        '',
        `WARNING: another modfleet coordinator is live on ${redactRedisUrl(redisUrl)} under the Redis prefix "${effective}":`,
        ...live.map(entry => `  ${describeCoordinator(entry)}`),
        'This cluster would share its users, nodes, artifacts and queues. Stop that one, or give this',
        `cluster its own prefix: modfleet up --prefix <name> (or MODFLEET_PREFIX=<name> npm start).`,
        '',
      ].join('\n'),
    );
  } catch {
    // The coordinator's own check still runs (and logs) once it is up.
  } finally {
    redis.disconnect();
  }
}
