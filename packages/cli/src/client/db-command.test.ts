import type { BdbObject } from '@modfleet/common/contract';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { moduleVersion, startBdbRoutes, type BdbHarness } from '../../../../test/unit/bdb-routes-harness.js';
import type { Io } from './client-context.js';
import { parseMemory, parseModuleSpec } from './db-format.js';
import { registerClientCommands } from './register-client-commands.js';

let harness: BdbHarness;
afterEach(() => harness?.close());

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** `modfleet <args>` in process against the real bdb routes on fakes; `during` runs between polls (the agents' part). */
async function run(args: string[], during: () => void = () => {}) {
  let out = '';
  let err = '';
  let code = 0;
  const io: Io = {
    stdout: { write: (text: string) => (out += text) },
    stderr: {
      write: (text: string) => {
        err += text;
        during();
      },
    },
    env: {},
    setExitCode: value => (code = value),
    exit: value => {
      throw new Exited(value);
    },
    pollIntervalMs: 5,
  };
  const program = new Command('modfleet').exitOverride();
  registerClientCommands(program, io);
  try {
    await program.parseAsync([...args, '--url', harness.url, '--user', 'admin@test', '--password', 'pw'], {
      from: 'user',
    });
  } catch (e) {
    if (e instanceof Exited) return { code: e.code, out, err };
    throw e;
  }
  return { code, out, err };
}

const startCluster = async () =>
  (harness = await startBdbRoutes({
    nodes: [
      { uid: 1, host: '127.0.0.2', artifacts: ['ft@10200'] },
      { uid: 2, host: '127.0.0.3', artifacts: ['ft@10200'] },
    ],
    modules: [moduleVersion('ft', 10200)],
  }));

/** Every shard the fakes hold reports `state` (an agent's report). */
async function reportAll(state: 'running' | 'failed', error?: string) {
  for (const bdb of await harness.store.list()) {
    for (const { node_uid, plan } of bdb.placement) {
      harness.store.report(plan.shard_uid, {
        node_uid,
        state,
        updated_at: new Date().toISOString(),
        ...(error && { error }),
      });
    }
  }
}

describe('modfleet db', () => {
  it('reads sizes and module specs as redisctl writes them', () => {
    expect(parseMemory('100MB')).toBe(100_000_000);
    expect(parseMemory('1GiB')).toBe(1024 ** 3);
    expect(parseMemory('4096')).toBe(4096);
    expect(() => parseMemory('lots')).toThrow(/--memory lots/);
    expect(parseModuleSpec('ft')).toEqual({ module_name: 'ft', module_args: '' });
    expect(parseModuleSpec('ft@1.2.0:MAXDOCTABLESIZE 1000')).toEqual({
      module_name: 'ft',
      module_args: 'MAXDOCTABLESIZE 1000',
      semantic_version: '1.2.0',
    });
  });

  it('create waits with a progress line until active and prints the endpoint; list, get, shards, rm follow', async () => {
    await startCluster();
    const created = await run(
      ['db', 'create', 'search', '--memory', '100MB', '--module', 'ft', '--replication'],
      () => {
        void reportAll('running');
      },
    );
    expect(created.code, created.err).toBe(0);
    expect(created.err).toContain('database 1: pending…');
    expect(created.out).toBe('1 active 127.0.0.2:12000\n');

    const listed = await run(['db', 'list']);
    expect(listed.out).toMatch(
      /^UID\s+NAME\s+STATUS\s+ENDPOINT\s+MODULES\s+REPLICATION\n1\s+search\s+active\s+127\.0\.0\.2:12000\s+ft@1\.2\.0\s+yes\n$/,
    );
    const got = await run(['db', 'get', 'search', '-o', 'json']);
    expect((JSON.parse(got.out) as BdbObject).module_list[0]!.module_name).toBe('ft');
    const shards = await run(['db', 'shards', '1']);
    expect(shards.out).toMatch(/master\s+1\s+12000\s+active\s+ok/);
    expect(shards.out).toMatch(/slave\s+2\s+12001\s+active\s+ok/);

    const removed = await run(['db', 'rm', 'search'], () => {
      for (const shard of [1, 2]) harness.store.report(shard, undefined);
    });
    expect(removed.code, removed.err).toBe(0);
    expect(removed.out).toBe('deleted database 1\n');
    expect(await harness.store.list()).toEqual([]);
  });

  it('exits 1 with the RS error, or with the reason a database could not start', async () => {
    await startCluster();
    const refused = await run(['db', 'create', 'x', '--memory', '1MB', '--module', 'nosuch']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^modfleet: missing_module: Module nosuch is not installed/);

    const failed = await run(['db', 'create', 'y', '--memory', '1MB', '--module', 'ft:EXTLOAD /x.so'], () => {
      void reportAll('failed', 'Could not load extension /x.so');
    });
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/creation-failed/);
    expect(failed.err).toMatch(/creation-failed: shard \d+ on node \d: Could not load extension \/x\.so/);
    expect((await run(['db', 'get', 'nobody'])).code).toBe(2);
  });
});
