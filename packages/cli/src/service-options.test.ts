import { loadAgentConfig } from '@modfleet/agent';
import type { ServiceName } from '@modfleet/common';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../../../test/helpers/config-env.js';
import { addServiceOptions, envWithFlags } from './service-options.js';

/** The flags `modfleet <service> ...args` was given, as commander parses them. */
function flagsOf(service: ServiceName, args: string[]): Record<string, unknown> {
  const command = addServiceOptions(new Command(service).exitOverride(), service);
  command.configureOutput({ writeErr: () => undefined });
  command.parse(args, { from: 'user' });
  return command.opts();
}

describe('service options', () => {
  it('puts each flag in the place of its variable, flags winning over the environment', () => {
    const flags = flagsOf('agent', ['--port', '19444', '--data-dir', '/srv/node-1', '--max-artifact-bytes', '2048']);

    const { env, fromFlags } = envWithFlags(flags, { MODFLEET_PORT: '1', REDIS_URL: 'redis://redis.internal:6380' });

    expect(env).toMatchObject({
      MODFLEET_PORT: '19444',
      MODFLEET_DATA_DIR: '/srv/node-1',
      MODFLEET_MAX_ARTIFACT_BYTES: '2048',
      REDIS_URL: 'redis://redis.internal:6380',
    });
    expect([...fromFlags].sort()).toEqual(['MODFLEET_DATA_DIR', 'MODFLEET_MAX_ARTIFACT_BYTES', 'MODFLEET_PORT']);
    expect(loadAgentConfig(env, fromFlags)).toMatchObject({
      port: 19444,
      dataDir: '/srv/node-1',
      maxArtifactBytes: 2048,
    });
  });

  it('reports a bad flag by the flag the user typed', () => {
    const { env, fromFlags } = envWithFlags(flagsOf('agent', ['--node-id', 'seven']), { MODFLEET_PORT: 'x' });

    const error = configErrorOf(() => loadAgentConfig(env, fromFlags));

    expect(error.problems).toEqual([
      '--port / MODFLEET_PORT: must be a port number (got "x")',
      expect.stringMatching(/^--node-id \/ MODFLEET_NODE_ID: .*\(got "seven", from --node-id\)$/),
    ]);
  });

  it("refuses a flag of the other service's variables", () => {
    expect(() => flagsOf('agent', ['--admin-email', 'ops@example.com'])).toThrow(/unknown option '--admin-email'/);
    expect(() => flagsOf('coordinator', ['--node-id', '3'])).toThrow(/unknown option '--node-id'/);
  });

  it('offers no flag for the test-only timings variable, which still passes through the environment', () => {
    expect(() => flagsOf('agent', ['--test-timings', '{}'])).toThrow(/unknown option '--test-timings'/);
    expect(addServiceOptions(new Command('agent'), 'agent').helpInformation()).not.toContain('TEST_TIMINGS');

    const { env } = envWithFlags(flagsOf('agent', []), { MODFLEET_TEST_TIMINGS: '{"heartbeatIntervalMs":100}' });

    expect(loadAgentConfig(env).testTimings).toEqual({ heartbeatIntervalMs: 100 });
  });

  it("shows each service's own default in its help", () => {
    const help = (service: ServiceName) =>
      addServiceOptions(new Command(service), service).helpInformation().replace(/\s+/g, ' ');

    expect(help('coordinator')).toContain('--port <port> HTTPS port to listen on (default 9443) [$MODFLEET_PORT]');
    expect(help('agent')).toContain('--port <port> HTTPS port to listen on (default 9444) [$MODFLEET_PORT]');
  });
});
