import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../../../../test/helpers/config-env.js';
import { ENV_VARIABLES, flagOf, serviceSchemaOf, servicesOf, type EnvName } from './env-registry.js';
import { serviceEnvSchema } from './service-config.js';
import { parseEnv } from '../env.js';

/** Every variable of the registry that reads as a whole number, for each service that reads it. */
const INTEGER_VARIABLES = (Object.keys(ENV_VARIABLES) as EnvName[]).flatMap(name =>
  servicesOf(name)
    .filter(service => serviceSchemaOf(name, service).safeParse('7').data === 7)
    .map(service => [name, service] as const),
);

/** Each would start a service with a number nobody wrote: 1000, 16, 1, 1. */
const NOT_PLAIN_INTEGERS = ['1e3', '0x10', '1.0', '01'];

describe('integer variables', () => {
  it('are found in the registry (the node id, the ports, the byte limit)', () => {
    expect(INTEGER_VARIABLES.map(([name]) => name)).toEqual(
      expect.arrayContaining(['MODFLEET_NODE_ID', 'MODFLEET_PORT', 'MODFLEET_MAX_ARTIFACT_BYTES']),
    );
  });

  describe.each(INTEGER_VARIABLES)('%s (%s)', (name, service) => {
    it.each(NOT_PLAIN_INTEGERS)('refuses "%s", naming the variable and its flag', value => {
      const error = configErrorOf(() => parseEnv(serviceEnvSchema(service), { [name]: value }, new Set([name])));

      expect(error.problems).toEqual([
        expect.stringMatching(new RegExp(`^${flagOf(name)} / ${name}: .*got "${value}", from ${flagOf(name)}`)),
      ]);
    });

    it('takes plain decimal digits', () => {
      const parsed = parseEnv(serviceEnvSchema(service), { [name]: '7' }) as Record<string, unknown>;

      expect(parsed[name]).toBe(7);
    });
  });
});
