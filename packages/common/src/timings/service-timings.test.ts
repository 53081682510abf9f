import { describe, expect, it } from 'vitest';
import { envTableRows } from '../config/env-docs.js';
import { loadServiceConfig } from '../config/service-config.js';
import { ConfigError } from '../env.js';
import { DEFAULT_TIMINGS, resolveTimings } from './service-timings.js';

describe('service timings', () => {
  it('are production defaults unless overridden: heartbeat 1 s, node down after 5 s, presence 15 s', () => {
    expect(resolveTimings()).toEqual(DEFAULT_TIMINGS);
    expect(DEFAULT_TIMINGS).toMatchObject({
      heartbeatIntervalMs: 1_000,
      nodeDownAfterMs: 5_000,
      presenceTtlMs: 15_000,
    });
  });

  it('lay the overrides over the defaults, keeping the rest', () => {
    const timings = resolveTimings({ heartbeatIntervalMs: 100, nodeDownAfterMs: 500 });

    expect(timings).toEqual({ ...DEFAULT_TIMINGS, heartbeatIntervalMs: 100, nodeDownAfterMs: 500 });
  });

  it('reach both services from MODFLEET_TEST_TIMINGS as JSON', () => {
    const env = { MODFLEET_TEST_TIMINGS: '{"heartbeatIntervalMs":100,"workerLockMs":2000}' };

    expect(loadServiceConfig('agent', env).testTimings).toEqual({ heartbeatIntervalMs: 100, workerLockMs: 2_000 });
    expect(loadServiceConfig('coordinator', env).testTimings).toEqual({
      heartbeatIntervalMs: 100,
      workerLockMs: 2_000,
    });
    expect(loadServiceConfig('agent', {}).testTimings).toBeUndefined();
  });

  it.each([
    ['text that is not JSON', 'fast', 'must be a JSON object of timings in ms'],
    ['a misspelt timing', '{"heartbeatMs":100}', 'heartbeatMs'],
    ['a timing under 10 ms', '{"heartbeatIntervalMs":0}', 'MODFLEET_TEST_TIMINGS'],
    ['a timing given as text', '{"heartbeatIntervalMs":"100"}', 'MODFLEET_TEST_TIMINGS'],
  ])('refuse %s with a configuration error naming the variable', (_case, value, expected) => {
    const load = () => loadServiceConfig('agent', { MODFLEET_TEST_TIMINGS: value });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(expected);
  });

  it('are not offered to users: no README row for MODFLEET_TEST_TIMINGS', () => {
    expect(envTableRows().map(row => row[0])).not.toContain('`MODFLEET_TEST_TIMINGS`');
  });
});
