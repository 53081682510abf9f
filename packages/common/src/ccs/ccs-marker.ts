import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisKeys } from '../redis-keys.js';
import { DEFAULT_TIMINGS } from '../timings/service-timings.js';

/** How often a service checks that the CCS it joined is still there (and on every reconnect). */
export const CCS_MARKER_CHECK_MS = DEFAULT_TIMINGS.ccsMarkerCheckMs;

export const CCS_LOST_REASON =
  'The cluster configuration store (Redis) lost its data (its marker key is gone): users, nodes and the fleet state must be re-created';

/** Writes this CCS's epoch unless it has one; returns the epoch in force. */
export async function ensureCcsMarker(redis: Redis, keys: RedisKeys): Promise<string> {
  await redis.set(keys.ccsMarker, randomUUID(), 'NX');
  const epoch = await redis.get(keys.ccsMarker);
  if (!epoch) throw new Error('could not read the CCS marker back from Redis');
  return epoch;
}

export interface CcsWatch {
  /** Why this service cannot serve right now (the CCS it knew is gone), or undefined. */
  problem(): string | undefined;
  /** The epoch last seen (undefined before any coordinator initialised the CCS). */
  epoch(): string | undefined;
  /** Reads the marker now (also what the timer and a reconnect do). */
  check(): Promise<void>;
  stop(): void;
}

export interface CcsWatchHooks {
  /** The marker vanished: Redis came back empty. */
  onLost?: () => void | Promise<void>;
  /** A marker with another epoch appeared (a coordinator re-initialised the CCS). */
  onRecreated?: (epoch: string) => void | Promise<void>;
}

/**
 * Watches the CCS marker so a Redis that restarted empty is noticed at once, instead of every
 * login failing as a wrong password. A Redis that is merely down changes nothing here: the
 * health route already says so, and the marker is read again once it answers.
 */
export function watchCcsMarker(
  redis: Redis,
  keys: RedisKeys,
  logger: Logger,
  hooks: CcsWatchHooks = {},
  checkEveryMs = CCS_MARKER_CHECK_MS,
): CcsWatch {
  let known: string | undefined;
  let lost = false;
  // Reads run one after another, each a fresh GET: a caller never gets an answer older than its call.
  let queue: Promise<void> = Promise.resolve();

  async function read(): Promise<void> {
    const epoch = await redis.get(keys.ccsMarker);
    if (epoch === null) {
      if (known === undefined || lost) return;
      lost = true;
      logger.error(
        { previous_epoch: known },
        `CCS LOST: ${CCS_LOST_REASON}. /healthz answers 503 until a coordinator re-creates it`,
      );
      await hooks.onLost?.();
      // The hook may have re-created it (a coordinator does): then this service is whole again.
      const restored = await redis.get(keys.ccsMarker);
      if (restored !== null) {
        known = restored;
        lost = false;
      }
      return;
    }
    if (known !== undefined && epoch !== known) {
      logger.warn({ previous_epoch: known, epoch }, 'the CCS was re-created since this service last saw it');
      known = epoch;
      lost = false;
      await hooks.onRecreated?.(epoch);
      return;
    }
    known = epoch;
    lost = false;
  }

  const watch: CcsWatch = {
    problem: () => (lost ? CCS_LOST_REASON : undefined),
    epoch: () => known,
    check() {
      queue = queue.then(read).catch((err: unknown) => logger.debug({ err }, 'could not read the CCS marker'));
      return queue;
    },
    stop() {
      clearInterval(timer);
      redis.off('ready', onReady);
    },
  };
  const onReady = () => void watch.check();
  redis.on('ready', onReady);
  const timer = setInterval(onReady, checkEveryMs);
  timer.unref();
  return watch;
}
