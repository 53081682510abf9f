import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { showCli } from '../helpers/cli-run.js';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { traceCli, type TracedCli } from '../helpers/import-trace.js';
import { ADMIN } from '../helpers/in-process-cluster.js';

/** What the services run on: a CLI command that talks to a coordinator never needs them. */
const SERVER_DEPENDENCIES = [
  'express',
  'ioredis',
  'bullmq',
  '@peculiar/x509',
  'pino',
  'multer',
  'prom-client',
  '@modfleet/coordinator',
  '@modfleet/agent',
];

/** What a start that only prints (--version, --help) may load: the argument parser and the colours. */
const PRINT_ONLY_PACKAGES = ['@modfleet/cli', '@modfleet/common', 'commander', 'picocolors'];

/** The whole @modfleet/common package (Redis, logging, zip code) rather than its light entries. */
const loadsWholeCommon = (run: TracedCli) => run.urls.some(url => url.endsWith('/packages/common/dist/index.js'));

describe('what a light CLI command loads', () => {
  let coordinator: FakeCoordinator;
  beforeAll(async () => {
    coordinator = await startFakeCoordinator();
  });
  afterAll(async () => coordinator.stop());

  it.each([
    [['--version']],
    [['--help']],
    [['nodes', '--help']],
    [['coordinator', '--help']],
    [['agent', '--help']],
    [['up', '--help']],
    [['push', '--help']],
  ])('modfleet %j loads nothing but the argument parser and the light entries', async args => {
    const run = await traceCli(args);

    expect(run.code, showCli(run)).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(0);
    expect(run.packages.filter(name => !PRINT_ONLY_PACKAGES.includes(name))).toEqual([]);
    expect(loadsWholeCommon(run)).toBe(false);
  });

  it('modfleet nodes answers from the coordinator without loading any server dependency', async () => {
    const run = await traceCli(['nodes', '-o', 'json', '--url', coordinator.url, '--user', ADMIN.email], {
      MODFLEET_PASSWORD: ADMIN.password,
    });

    expect(run.code, showCli(run)).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
    expect(run.packages).toContain('undici');
    expect(run.packages.filter(name => SERVER_DEPENDENCIES.includes(name))).toEqual([]);
    expect(loadsWholeCommon(run)).toBe(false);
  });
});
