import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envSchemas, ONE_GIB, parseEnv, tlsOption, withTlsPairCheck, type Env } from './env.js';

/** A service-like schema built from the shared pieces, as the coordinator and agent build theirs. */
const schema = withTlsPairCheck(
  z.object({
    REDIS_URL: envSchemas.redisUrl,
    MODFLEET_HOST: envSchemas.host('127.0.0.1'),
    MODFLEET_PORT: envSchemas.port(9443),
    MODFLEET_PREFIX: envSchemas.prefix,
    MODFLEET_ADMIN_PASSWORD: z.string().min(8, { error: 'must be at least 8 characters' }).optional(),
    MODFLEET_CLUSTER_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    MODFLEET_MAX_ARTIFACT_BYTES: envSchemas.positiveBytes(ONE_GIB),
    MODFLEET_COORDINATOR_URL: envSchemas.optionalUrl,
    MODFLEET_TLS_CERT: envSchemas.optionalPath,
    MODFLEET_TLS_KEY: envSchemas.optionalPath,
    LOG_LEVEL: envSchemas.logLevel,
  }),
);

function configErrorOf(env: Env): ConfigError {
  try {
    parseEnv(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('fills every default when nothing is set', () => {
    const env: Env = {};

    const parsed = parseEnv(schema, env);

    expect(parsed).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      MODFLEET_HOST: '127.0.0.1',
      MODFLEET_PORT: 9443,
      MODFLEET_PREFIX: 'modfleet',
      MODFLEET_MAX_ARTIFACT_BYTES: ONE_GIB,
      LOG_LEVEL: 'info',
    });
  });

  it('treats an empty variable as unset', () => {
    const env: Env = { MODFLEET_PORT: '', MODFLEET_PREFIX: '', LOG_LEVEL: '', MODFLEET_ADMIN_PASSWORD: '' };

    const parsed = parseEnv(schema, env);

    expect(parsed).toMatchObject({ MODFLEET_PORT: 9443, MODFLEET_PREFIX: 'modfleet', LOG_LEVEL: 'info' });
    expect(parsed.MODFLEET_ADMIN_PASSWORD).toBeUndefined();
  });

  it('reads numbers from their text and ignores unrelated variables', () => {
    const env: Env = { MODFLEET_PORT: '8443', MODFLEET_MAX_ARTIFACT_BYTES: '1048576', HOME: '/root', PATH: '/bin' };

    const parsed = parseEnv(schema, env);

    expect(parsed.MODFLEET_PORT).toBe(8443);
    expect(parsed.MODFLEET_MAX_ARTIFACT_BYTES).toBe(1_048_576);
    expect(parsed).not.toHaveProperty('HOME');
  });

  it('reports every bad variable in one ConfigError, each with its name', () => {
    const env: Env = {
      REDIS_URL: 'http://localhost:6379',
      MODFLEET_PORT: 'abc',
      MODFLEET_PREFIX: 'has spaces',
      MODFLEET_MAX_ARTIFACT_BYTES: '0',
      MODFLEET_COORDINATOR_URL: 'ftp://coordinator',
      LOG_LEVEL: 'loud',
    };

    const error = configErrorOf(env);

    const names = ['REDIS_URL', 'MODFLEET_PORT', 'MODFLEET_PREFIX', 'MODFLEET_MAX_ARTIFACT_BYTES'];
    for (const name of [...names, 'MODFLEET_COORDINATOR_URL', 'LOG_LEVEL']) expect(error.message).toContain(name);
    expect(error.problems).toHaveLength(6);
  });

  it('quotes the bad value of an ordinary variable', () => {
    const env: Env = { MODFLEET_PORT: 'not-a-port' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_PORT');
    expect(error.message).toContain('"not-a-port"');
  });

  it('hides the value of a too-short MODFLEET_ADMIN_PASSWORD', () => {
    const env: Env = { MODFLEET_ADMIN_PASSWORD: 'pw12345' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_ADMIN_PASSWORD');
    expect(error.message).toContain('(value hidden)');
    expect(error.message).not.toContain('pw12345');
  });

  it('hides the value of a too-short MODFLEET_CLUSTER_SECRET', () => {
    const env: Env = { MODFLEET_CLUSTER_SECRET: 'tiny-secret' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_CLUSTER_SECRET');
    expect(error.message).toContain('(value hidden)');
    expect(error.message).not.toContain('tiny-secret');
  });

  it('never echoes the password inside a bad REDIS_URL', () => {
    const env: Env = { REDIS_URL: 'http://default:hunter2-redis-pw@redis.internal:6379' };

    const error = configErrorOf(env);

    expect(error.message).toContain('REDIS_URL');
    expect(error.message).not.toContain('hunter2-redis-pw');
  });

  it('refuses a TLS certificate without its key', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_KEY');
    expect(error.message).toContain('must be set together');
  });

  it('refuses a TLS key without its certificate', () => {
    const env: Env = { MODFLEET_TLS_KEY: '/etc/modfleet/key.pem' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_CERT');
  });

  it('reports a lone TLS certificate together with the other bad variables', () => {
    const env: Env = { MODFLEET_PORT: 'abc', MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_PORT');
    expect(error.message).toContain('MODFLEET_TLS_KEY');
  });

  it('accepts a TLS certificate and key given together', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/c.pem', MODFLEET_TLS_KEY: '/k.pem' };

    const parsed = parseEnv(schema, env);

    expect(tlsOption(parsed.MODFLEET_TLS_CERT, parsed.MODFLEET_TLS_KEY)).toEqual({
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
  });

  it.each([
    ['a word', 'abc'],
    ['a fraction', '80.5'],
    ['a negative number', '-1'],
    ['a number above 65535', '65536'],
    ['only spaces', '   '],
  ])('refuses a port that is %s', (_label, port) => {
    const env: Env = { MODFLEET_PORT: port };

    const error = configErrorOf(env);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^MODFLEET_PORT: /);
  });

  it('accepts rediss:// URLs and port 0', () => {
    const env: Env = { REDIS_URL: 'rediss://user:pw@redis.example:6380/2', MODFLEET_PORT: '0' };

    const parsed = parseEnv(schema, env);

    expect(parsed.REDIS_URL).toBe('rediss://user:pw@redis.example:6380/2');
    expect(parsed.MODFLEET_PORT).toBe(0);
  });

  it('lists each problem on its own line under one heading', () => {
    const env: Env = { MODFLEET_PORT: 'abc', LOG_LEVEL: 'loud' };

    const error = configErrorOf(env);

    expect(error.name).toBe('ConfigError');
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration:',
      expect.stringMatching(/^ {2}- MODFLEET_PORT: /),
      expect.stringMatching(/^ {2}- LOG_LEVEL: /),
    ]);
  });
});
