import { serviceVariables, type Env } from '@modfleet/common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { configErrorOf as errorOf, recordingEnv, type ExpectedConfig } from '../../../test/helpers/config-env.js';
import { loadAgentConfig, type AgentConfig } from './config.js';

const configErrorOf = (env: Env, fromFlags?: ReadonlySet<string>) => errorOf(() => loadAgentConfig(env, fromFlags));

describe('loadAgentConfig', () => {
  it('listens on 127.0.0.1:9444 with prefix modfleet and a 1 GiB artifact limit by default', () => {
    const env: Env = {};

    const config = loadAgentConfig(env);

    expect(config).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
      port: 9444,
      dataDir: expect.any(String) as string,
      prefix: 'modfleet',
      coordinatorUrl: undefined,
      nodeId: undefined,
      clusterSecret: undefined,
      maxArtifactBytes: 1024 ** 3,
      tls: undefined,
      metricsPublic: false,
      redisServer: 'redis-server',
      logLevel: 'info',
    });
  });

  it('reads exactly the variables the env registry lists for the agent', () => {
    const { env, read } = recordingEnv();

    loadAgentConfig(env);

    expect([...read].sort()).toEqual(serviceVariables('agent').sort());
  });

  it('takes every setting from its variable', () => {
    const env: Env = {
      REDIS_URL: 'rediss://redis.internal:6380',
      MODFLEET_HOST: '0.0.0.0',
      MODFLEET_PORT: '19444',
      MODFLEET_DATA_DIR: '/var/lib/modfleet-agent',
      MODFLEET_PREFIX: 'fleet-a',
      MODFLEET_COORDINATOR_URL: 'https://coordinator.internal:9443',
      MODFLEET_NODE_ID: '3',
      MODFLEET_CLUSTER_SECRET: 'a-cluster-secret-of-32-characters',
      MODFLEET_MAX_ARTIFACT_BYTES: '2048',
      MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem',
      MODFLEET_TLS_KEY: '/etc/modfleet/key.pem',
      MODFLEET_HTTP_PORT: '0',
      MODFLEET_TLS_CA: '/etc/modfleet/ca.pem',
      MODFLEET_METRICS_PUBLIC: 'true',
      MODFLEET_REDIS_SERVER: '/opt/redis/bin/redis-server',
      LOG_LEVEL: 'warn',
    };

    const config = loadAgentConfig(env);

    expect(config).toEqual({
      redisUrl: 'rediss://redis.internal:6380',
      host: '0.0.0.0',
      port: 19444,
      dataDir: '/var/lib/modfleet-agent',
      prefix: 'fleet-a',
      coordinatorUrl: ['https://coordinator.internal:9443'],
      nodeId: 3,
      clusterSecret: 'a-cluster-secret-of-32-characters',
      maxArtifactBytes: 2048,
      tls: { certFile: '/etc/modfleet/cert.pem', keyFile: '/etc/modfleet/key.pem' },
      httpPort: undefined,
      tlsCa: '/etc/modfleet/ca.pem',
      metricsPublic: true,
      redisServer: '/opt/redis/bin/redis-server',
      logLevel: 'warn',
    });
  });

  it('types one field per variable, the TLS pair as one', () => {
    // Checked by the type checker: a registry change that renames or retypes a field fails here.
    expectTypeOf<AgentConfig>().toEqualTypeOf<
      ExpectedConfig<{ coordinatorUrl: string[] | undefined; nodeId: number | undefined; redisServer: string }>
    >();
  });

  it('reports every bad variable in one message', () => {
    const env: Env = {
      MODFLEET_PORT: 'http',
      MODFLEET_COORDINATOR_URL: 'coordinator:9443',
      MODFLEET_NODE_ID: '0',
      MODFLEET_MAX_ARTIFACT_BYTES: 'lots',
      LOG_LEVEL: 'chatty',
    };

    const error = configErrorOf(env);

    for (const name of Object.keys(env)) expect(error.message).toContain(name);
    expect(error.problems).toHaveLength(Object.keys(env).length);
  });

  it('takes a comma-separated list of coordinator URLs, in order of preference', () => {
    const config = loadAgentConfig({ MODFLEET_COORDINATOR_URL: 'http://a.internal:9443, http://b.internal:9443' });

    expect(config.coordinatorUrl).toEqual(['http://a.internal:9443', 'http://b.internal:9443']);
  });

  it('refuses a list with one bad URL', () => {
    const error = configErrorOf({ MODFLEET_COORDINATOR_URL: 'http://a.internal:9443,b:9443' });

    expect(error.problems).toEqual([
      expect.stringContaining('MODFLEET_COORDINATOR_URL: must be an http:// or https:// URL'),
    ]);
  });

  it.each(['0', '-2', '1.5', 'one'])('refuses MODFLEET_NODE_ID=%s', nodeId => {
    const env: Env = { MODFLEET_NODE_ID: nodeId };

    const error = configErrorOf(env);

    expect(error.problems).toEqual([expect.stringMatching(/^--node-id \/ MODFLEET_NODE_ID: /)]);
  });

  it('hides the value of a too-short cluster secret', () => {
    const env: Env = { MODFLEET_CLUSTER_SECRET: 'secret-123' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_CLUSTER_SECRET');
    expect(error.message).toContain('(value hidden)');
    expect(error.message).not.toContain('secret-123');
  });

  it('refuses a TLS certificate without a key', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_KEY');
  });

  it('refuses a TLS key without a certificate', () => {
    const env: Env = { MODFLEET_TLS_KEY: '/etc/modfleet/key.pem' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_CERT');
  });

  it('names the flag a bad value came from', () => {
    const env: Env = { MODFLEET_NODE_ID: 'one', MODFLEET_COORDINATOR_URL: 'coordinator:9443' };

    const error = configErrorOf(env, new Set(['MODFLEET_NODE_ID']));

    expect(error.problems).toEqual([
      '--coordinator-url / MODFLEET_COORDINATOR_URL: must be an http:// or https:// URL (got "coordinator:9443")',
      expect.stringMatching(/^--node-id \/ MODFLEET_NODE_ID: .* \(got "one", from --node-id\)$/),
    ]);
  });
});
