import type { LogEvent, LogQuery, RedisKeys } from '@modfleet/common';
import type { Redis } from 'ioredis';

/** How many events the log keeps; the oldest go first. */
export const EVENT_LOG_CAP = 10_000;

/** The cluster event log: who changed modules, artifacts and databases, from where, when. */
export interface EventLog {
  record(event: LogEvent): Promise<void>;
  /** RS's `GET /v1/logs`: within stime..etime, `asc` by default, then offset and limit. */
  list(query: LogQuery): Promise<LogEvent[]>;
}

/** RS's time format: ISO 8601 in whole seconds. */
export const eventTime = (ms: number = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Filters and orders events held newest first, as `GET /v1/logs` answers. */
export function selectEvents(newestFirst: readonly LogEvent[], query: LogQuery): LogEvent[] {
  const start = query.stime ? Date.parse(query.stime) : Number.NEGATIVE_INFINITY;
  const end = query.etime ? Date.parse(query.etime) : Number.POSITIVE_INFINITY;
  const within = newestFirst.filter(event => {
    const at = Date.parse(event.time);
    return at >= start && at <= end;
  });
  const ordered = query.order === 'desc' ? within : [...within].reverse();
  const offset = query.offset ?? 0;
  return ordered.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
}

/** A Redis list, newest first, trimmed to `cap` in the same transaction as each push. */
export function createRedisEventLog(redis: Redis, keys: Pick<RedisKeys, 'events'>, cap = EVENT_LOG_CAP): EventLog {
  return {
    async record(event) {
      await redis
        .multi()
        .lpush(keys.events, JSON.stringify(event))
        .ltrim(keys.events, 0, cap - 1)
        .exec();
    },
    async list(query) {
      const raw = await redis.lrange(keys.events, 0, -1);
      return selectEvents(
        raw.map(text => JSON.parse(text) as LogEvent),
        query,
      );
    },
  };
}

/** The same rules in memory. */
export function createFakeEventLog(cap = EVENT_LOG_CAP): EventLog & { events: LogEvent[] } {
  const events: LogEvent[] = [];
  return {
    events,
    record(event) {
      events.unshift(event);
      events.length = Math.min(events.length, cap);
      return Promise.resolve();
    },
    list(query) {
      return Promise.resolve(selectEvents(events, query));
    },
  };
}
