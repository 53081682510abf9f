import { serviceVariables, type Env, type PortRanges } from '@modfleet/common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { configErrorOf as errorOf, recordingEnv, type ExpectedConfig } from '../../../test/helpers/config-env.js';
import { loadCoordinatorConfig, type CoordinatorConfig } from './config.js';

const configErrorOf = (env: Env, fromFlags?: ReadonlySet<string>) =>
  errorOf(() => loadCoordinatorConfig(env, fromFlags));

describe('loadCoordinatorConfig', () => {
  it('listens on 127.0.0.1:9443 with prefix modfleet and a 1 GiB artifact limit by default', () => {
    const env: Env = {};

    const config = loadCoordinatorConfig(env);

    expect(config).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      host: '127.0.0.1',
      port: 9443,
      dataDir: expect.any(String) as string,
      prefix: 'modfleet',
      adminEmail: expect.stringContaining('@') as string,
      adminPassword: undefined,
      clusterSecret: undefined,
      maxArtifactBytes: 1024 ** 3,
      tls: undefined,
      metricsPublic: false,
      dbPorts: [
        [10000, 10049],
        [10051, 19999],
      ],
      allowHttpNodes: false,
      logLevel: 'info',
    });
  });

  it('reads exactly the variables the env registry lists for the coordinator', () => {
    const { env, read } = recordingEnv();

    loadCoordinatorConfig(env);

    expect([...read].sort()).toEqual(serviceVariables('coordinator').sort());
  });

  it('takes every setting from its variable', () => {
    const env: Env = {
      REDIS_URL: 'redis://redis.internal:6380/1',
      MODFLEET_HOST: '0.0.0.0',
      MODFLEET_PORT: '19443',
      MODFLEET_DATA_DIR: '/var/lib/modfleet',
      MODFLEET_PREFIX: 'fleet-a',
      MODFLEET_ADMIN_EMAIL: 'ops@example.com',
      MODFLEET_ADMIN_PASSWORD: 'a-long-admin-password',
      MODFLEET_CLUSTER_SECRET: 'a-cluster-secret-of-32-characters',
      MODFLEET_MAX_ARTIFACT_BYTES: '1048576',
      MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem',
      MODFLEET_TLS_KEY: '/etc/modfleet/key.pem',
      MODFLEET_HTTP_PORT: '18080',
      MODFLEET_TLS_CA: '/etc/modfleet/ca.pem',
      MODFLEET_TLS_CA_KEY: '/etc/modfleet/ca-key.pem',
      MODFLEET_METRICS_PUBLIC: 'true',
      MODFLEET_DB_PORTS: '21000-21009,21020',
      MODFLEET_ALLOW_HTTP_NODES: 'true',
      LOG_LEVEL: 'debug',
    };

    const config = loadCoordinatorConfig(env);

    expect(config).toEqual({
      redisUrl: 'redis://redis.internal:6380/1',
      host: '0.0.0.0',
      port: 19443,
      dataDir: '/var/lib/modfleet',
      prefix: 'fleet-a',
      adminEmail: 'ops@example.com',
      adminPassword: 'a-long-admin-password',
      clusterSecret: 'a-cluster-secret-of-32-characters',
      maxArtifactBytes: 1_048_576,
      tls: { certFile: '/etc/modfleet/cert.pem', keyFile: '/etc/modfleet/key.pem' },
      httpPort: 18080,
      tlsCa: '/etc/modfleet/ca.pem',
      tlsCaKey: '/etc/modfleet/ca-key.pem',
      metricsPublic: true,
      dbPorts: [
        [21000, 21009],
        [21020, 21020],
      ],
      allowHttpNodes: true,
      logLevel: 'debug',
    });
  });

  it('types one field per variable, the TLS pair as one', () => {
    // Checked by the type checker: a registry change that renames or retypes a field fails here.
    expectTypeOf<CoordinatorConfig>().toEqualTypeOf<
      ExpectedConfig<{
        adminEmail: string;
        adminPassword: string | undefined;
        tlsCaKey: string | undefined;
        dbPorts: PortRanges;
        allowHttpNodes: boolean;
        pushUrlAllow: string[] | undefined;
      }>
    >();
  });

  it('reports every bad variable in one message', () => {
    const env: Env = {
      REDIS_URL: 'localhost:6379',
      MODFLEET_PORT: '99999',
      MODFLEET_PREFIX: 'a/b',
      MODFLEET_ADMIN_EMAIL: 'not-an-email',
      MODFLEET_MAX_ARTIFACT_BYTES: '-5',
      LOG_LEVEL: 'verbose',
    };

    const error = configErrorOf(env);

    for (const name of Object.keys(env)) expect(error.message).toContain(name);
    expect(error.problems).toHaveLength(Object.keys(env).length);
  });

  it('hides the value of a too-short admin password', () => {
    const env: Env = { MODFLEET_ADMIN_PASSWORD: 'short12' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_ADMIN_PASSWORD');
    expect(error.message).toContain('(value hidden)');
    expect(error.message).not.toContain('short12');
  });

  it('hides the value of a too-short cluster secret', () => {
    const env: Env = { MODFLEET_CLUSTER_SECRET: 'secret-123' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_CLUSTER_SECRET');
    expect(error.message).not.toContain('secret-123');
  });

  it('refuses a TLS certificate without a key', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem' };

    const error = configErrorOf(env);

    expect(error.message).toContain('MODFLEET_TLS_KEY');
  });

  it('refuses a TLS certificate without a key even when another variable is also bad', () => {
    const env: Env = { MODFLEET_TLS_CERT: '/etc/modfleet/cert.pem', LOG_LEVEL: 'verbose' };

    const error = configErrorOf(env);

    expect(error.message).toContain('LOG_LEVEL');
    expect(error.message).toContain('MODFLEET_TLS_KEY');
  });

  it('names the flag a bad value came from, and still hides a secret given as a flag', () => {
    const env: Env = { MODFLEET_ADMIN_EMAIL: 'nope', MODFLEET_ADMIN_PASSWORD: 'short12' };

    const error = configErrorOf(env, new Set(['MODFLEET_ADMIN_EMAIL', 'MODFLEET_ADMIN_PASSWORD']));

    expect(error.problems).toEqual([
      '--admin-email / MODFLEET_ADMIN_EMAIL: must be an email address (got "nope", from --admin-email)',
      '--admin-password / MODFLEET_ADMIN_PASSWORD: must be at least 8 characters (value hidden, from --admin-password)',
    ]);
  });
});
