import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../../../test/helpers/config-env.js';
import { serviceEnvSchema } from './config/service-config.js';
import { ONE_GIB } from './config/env-schemas.js';
import { parseEnv, tlsOption, type Env } from './env.js';

/** The agent's schema from the env registry: what `modfleet agent` parses. */
const parseAgentEnv = (env: Env, fromFlags?: ReadonlySet<string>) =>
  parseEnv(serviceEnvSchema('agent'), env, fromFlags);
const agentErrorOf = (env: Env, fromFlags?: ReadonlySet<string>) => configErrorOf(() => parseAgentEnv(env, fromFlags));

describe('parseEnv', () => {
  it('fills every default when nothing is set', () => {
    const env: Env = {};

    const parsed = parseAgentEnv(env);

    expect(parsed).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      MODFLEET_HOST: '127.0.0.1',
      MODFLEET_PORT: 9444,
      MODFLEET_DATA_DIR: '.modfleet/agent',
      MODFLEET_PREFIX: 'modfleet',
      MODFLEET_MAX_ARTIFACT_BYTES: ONE_GIB,
      MODFLEET_METRICS_PUBLIC: false,
      MODFLEET_REDIS_SERVER: 'redis-server',
      LOG_LEVEL: 'info',
    });
  });

  it('treats an empty variable as unset', () => {
    const env: Env = { MODFLEET_PORT: '', MODFLEET_PREFIX: '', LOG_LEVEL: '', MODFLEET_CLUSTER_SECRET: '' };

    const parsed = parseAgentEnv(env);

    expect(parsed).toMatchObject({ MODFLEET_PORT: 9444, MODFLEET_PREFIX: 'modfleet', LOG_LEVEL: 'info' });
    expect(parsed.MODFLEET_CLUSTER_SECRET).toBeUndefined();
  });

  it('reads numbers from their text and ignores unrelated variables', () => {
    const env: Env = { MODFLEET_PORT: '8443', MODFLEET_MAX_ARTIFACT_BYTES: '1048576', HOME: '/root', PATH: '/bin' };

    const parsed = parseAgentEnv(env);

    expect(parsed.MODFLEET_PORT).toBe(8443);
    expect(parsed.MODFLEET_MAX_ARTIFACT_BYTES).toBe(1_048_576);
    expect(parsed).not.toHaveProperty('HOME');
  });

  it('reports every bad variable in one ConfigError, each with its flag and its name', () => {
    const env: Env = {
      REDIS_URL: 'http://localhost:6379',
      MODFLEET_PORT: 'abc',
      MODFLEET_PREFIX: 'has spaces',
      MODFLEET_MAX_ARTIFACT_BYTES: '0',
      MODFLEET_COORDINATOR_URL: 'ftp://coordinator',
      LOG_LEVEL: 'loud',
    };

    const error = agentErrorOf(env);

    expect(error.problems.map(problem => problem.split(':')[0])).toEqual([
      '--redis-url / REDIS_URL',
      '--port / MODFLEET_PORT',
      '--prefix / MODFLEET_PREFIX',
      '--coordinator-url / MODFLEET_COORDINATOR_URL',
      '--max-artifact-bytes / MODFLEET_MAX_ARTIFACT_BYTES',
      '--log-level / LOG_LEVEL',
    ]);
  });

  it('quotes the bad value of an ordinary variable', () => {
    const env: Env = { MODFLEET_PORT: 'not-a-port' };

    const error = agentErrorOf(env);

    expect(error.problems).toEqual(['--port / MODFLEET_PORT: must be a port number (got "not-a-port")']);
  });

  it('says so when the bad value came from a flag', () => {
    const env: Env = { MODFLEET_PORT: 'abc', MODFLEET_PREFIX: 'a b' };

    const error = agentErrorOf(env, new Set(['MODFLEET_PORT']));

    expect(error.problems).toEqual([
      '--port / MODFLEET_PORT: must be a port number (got "abc", from --port)',
      '--prefix / MODFLEET_PREFIX: must be 1-64 characters of A-Z a-z 0-9 _ . - (got "a b")',
    ]);
  });

  it('hides the value of a too-short MODFLEET_ADMIN_PASSWORD', () => {
    const env: Env = { MODFLEET_ADMIN_PASSWORD: 'pw12345' };

    const error = configErrorOf(() => parseEnv(serviceEnvSchema('coordinator'), env));

    expect(error.message).toContain('MODFLEET_ADMIN_PASSWORD');
    expect(error.message).toContain('(value hidden)');
    expect(error.message).not.toContain('pw12345');
  });

  it('hides the value of a too-short MODFLEET_CLUSTER_SECRET, also when it came from its flag', () => {
    const env: Env = { MODFLEET_CLUSTER_SECRET: 'tiny-secret' };

    const error = agentErrorOf(env, new Set(['MODFLEET_CLUSTER_SECRET']));

    expect(error.problems).toEqual([
      '--cluster-secret / MODFLEET_CLUSTER_SECRET: must be at least 16 characters (value hidden, from --cluster-secret)',
    ]);
    expect(error.message).not.toContain('tiny-secret');
  });

  it('never echoes the password inside a bad REDIS_URL', () => {
    const env: Env = { REDIS_URL: 'http://default:hunter2-redis-pw@redis.internal:6379' };

    const error = agentErrorOf(env);

    expect(error.message).toContain('REDIS_URL');
    expect(error.message).not.toContain('hunter2-redis-pw');
  });

  it('refuses a TLS certificate without its key', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem' };

    const error = agentErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_KEY');
    expect(error.message).toContain('must be set together');
  });

  it('refuses a TLS key without its certificate', () => {
    const env: Env = { MODFLEET_TLS_KEY: '/etc/modfleet/key.pem' };

    const error = agentErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_CERT');
  });

  it('reports a lone TLS certificate together with the other bad variables', () => {
    const env: Env = { MODFLEET_PORT: 'abc', MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem' };

    const error = agentErrorOf(env);

    expect(error.message).toContain('MODFLEET_PORT');
    expect(error.message).toContain('MODFLEET_TLS_KEY');
  });

  it('accepts a TLS certificate and key given together', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/c.pem', MODFLEET_TLS_KEY: '/k.pem' };

    const parsed = parseAgentEnv(env);

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

    const error = agentErrorOf(env);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^--port \/ MODFLEET_PORT: /);
  });

  it.each(['   ', '1e3', '0x10'])('refuses a byte count given as %j', bytes => {
    const env: Env = { MODFLEET_MAX_ARTIFACT_BYTES: bytes };

    const error = agentErrorOf(env);

    expect(error.problems).toEqual([expect.stringMatching(/^--max-artifact-bytes \/ MODFLEET_MAX_ARTIFACT_BYTES: /)]);
  });

  it('accepts rediss:// URLs and port 0', () => {
    const env: Env = { REDIS_URL: 'rediss://user:pw@redis.example:6380/2', MODFLEET_PORT: '0' };

    const parsed = parseAgentEnv(env);

    expect(parsed.REDIS_URL).toBe('rediss://user:pw@redis.example:6380/2');
    expect(parsed.MODFLEET_PORT).toBe(0);
  });

  it('lists each problem on its own line under one heading', () => {
    const env: Env = { MODFLEET_PORT: 'abc', LOG_LEVEL: 'loud' };

    const error = agentErrorOf(env);

    expect(error.name).toBe('ConfigError');
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration:',
      expect.stringMatching(/^ {2}- --port \/ MODFLEET_PORT: /),
      expect.stringMatching(/^ {2}- --log-level \/ LOG_LEVEL: /),
    ]);
  });
});
