import { describe, expect, it } from 'vitest';
import {
  configKeyOf,
  defaultOf,
  defaultValueOf,
  ENV_SCHEMAS,
  ENV_VARIABLES,
  flagOf,
  flagSpecOf,
  serviceSchemaOf,
  serviceVariables,
  servicesOf,
  type EnvName,
} from './env-registry.js';

const NAMES = Object.keys(ENV_VARIABLES) as EnvName[];

describe('the env registry', () => {
  it.each([
    ['MODFLEET_DATA_DIR', '--data-dir', 'dataDir'],
    ['MODFLEET_MAX_ARTIFACT_BYTES', '--max-artifact-bytes', 'maxArtifactBytes'],
    ['REDIS_URL', '--redis-url', 'redisUrl'],
    ['LOG_LEVEL', '--log-level', 'logLevel'],
    ['MODFLEET_HOST', '--host', 'host'],
  ])('derives the flag and config field of %s', (name, flag, key) => {
    expect(flagOf(name)).toBe(flag);
    expect(configKeyOf(name)).toBe(key);
  });

  it('gives every variable its own flag and config field, none of them a built-in of the CLI', () => {
    const flags = NAMES.map(flagOf);
    const keys = NAMES.map(configKeyOf);

    expect(new Set(flags).size).toBe(NAMES.length);
    expect(new Set(keys).size).toBe(NAMES.length);
    expect(flags).not.toContain('--help');
    expect(flags).not.toContain('--version');
  });

  it('declares each flag with the placeholder of its value', () => {
    expect(flagSpecOf('MODFLEET_DATA_DIR')).toBe('--data-dir <path>');
    expect(flagSpecOf('MODFLEET_NODE_ID')).toBe('--node-id <uid>');
  });

  it('marks as secret every variable whose name says it holds one', () => {
    const secretLooking = NAMES.filter(name => /PASSWORD|SECRET|TOKEN/.test(name));

    expect(secretLooking.length).toBeGreaterThan(0);
    for (const name of secretLooking) expect(ENV_VARIABLES[name], name).toHaveProperty('secret', true);
  });

  it('has each variable read by some service and described', () => {
    for (const name of NAMES) {
      expect(servicesOf(name).length, name).toBeGreaterThan(0);
      expect(ENV_VARIABLES[name].description.length, name).toBeGreaterThan(10);
    }
  });

  it('lists the admin pair, the CA key, the plain-HTTP-nodes switch and the push URL allow-list for the coordinator only, and the coordinator URL, node id and redis-server for agents only', () => {
    const coordinatorOnly = serviceVariables('coordinator').filter(name => !serviceVariables('agent').includes(name));
    const agentOnly = serviceVariables('agent').filter(name => !serviceVariables('coordinator').includes(name));

    expect(coordinatorOnly).toEqual([
      'MODFLEET_ADMIN_EMAIL',
      'MODFLEET_ADMIN_PASSWORD',
      'MODFLEET_TLS_CA_KEY',
      'MODFLEET_ALLOW_HTTP_NODES',
      'MODFLEET_PUSH_URL_ALLOW',
      'MODFLEET_DB_PORTS',
    ]);
    expect(agentOnly).toEqual(['MODFLEET_COORDINATOR_URL', 'MODFLEET_NODE_ID', 'MODFLEET_REDIS_SERVER']);
  });

  it("shows each service's default as people read it, and none for a variable unset by default", () => {
    expect(defaultOf('MODFLEET_PORT', 'coordinator')).toBe('9443');
    expect(defaultOf('MODFLEET_PORT', 'agent')).toBe('9444');
    expect(defaultOf('MODFLEET_MAX_ARTIFACT_BYTES', 'agent')).toBe('1 GiB');
    expect(defaultOf('MODFLEET_METRICS_PUBLIC', 'agent')).toBe('false');
    expect(defaultOf('MODFLEET_TLS_CERT', 'coordinator')).toBeUndefined();
  });

  it('has each service parse a variable as the plain table says: the same services, the same default', () => {
    for (const name of NAMES) {
      expect(Object.keys(ENV_SCHEMAS[name]).sort(), name).toEqual(servicesOf(name).sort());
      for (const service of servicesOf(name)) {
        const schema = serviceSchemaOf(name, service);
        const tableDefault = defaultValueOf(name, service);
        const expected: unknown = tableDefault === undefined ? undefined : schema.parse(tableDefault);
        expect(schema.parse(undefined), `${name} (${service})`).toEqual(expected);
      }
    }
  });

  it('refuses to give a service the schema of a variable it does not read', () => {
    expect(() => defaultOf('MODFLEET_NODE_ID', 'coordinator')).toThrow('coordinator does not read MODFLEET_NODE_ID');
  });
});
