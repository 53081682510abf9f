import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { discoverModule, routes, type DiscoveredModule, type LoadCheck } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { runCli, showCli } from '../helpers/cli-run.js';
import { FLEET_ADMIN, startFleetCluster, type FleetArtifactView, type FleetCluster } from '../helpers/fleet-cluster.js';
import { artifactForm } from '../helpers/http.js';
import { REDIS_SERVER, REDISEARCH_SO, writeFakeSo } from '../helpers/real-module.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

type Manifest = Record<string, unknown> & { commands: Record<string, unknown>[] };

describe('real modules: RAMP-like packing and a load check on every node (real processes)', () => {
  let cluster: FleetCluster;
  let work: string;
  let env: Record<string, string>;
  let redisearch: DiscoveredModule;
  const run = (args: string[]) => runCli(args, { env, cwd: work });

  const nodeChecks = (view: FleetArtifactView[], key: string): Record<string, LoadCheck | undefined> =>
    Object.fromEntries(
      Object.entries(view.find(a => `${a.module_name}@${a.version}` === key)?.nodes ?? {}).map(([node, cell]) => [
        node,
        cell.load_check,
      ]),
    );
  const checksSettled = (key: string, nodes: number) => (view: FleetArtifactView[]) =>
    Object.values(nodeChecks(view, key)).filter(check => check !== undefined).length === nodes;

  /** RediSearch's real .so with a module.json built from its real commands, changed by `edit`. */
  async function rediSearchZip(name: string, edit: (manifest: Manifest) => void): Promise<string> {
    const manifest: Manifest = {
      module_name: name,
      display_name: name,
      version: redisearch.version,
      semantic_version: '1.2.0',
      min_redis_version: '7.0',
      command_line_args: '',
      capabilities: [],
      commands: redisearch.commands.map(c => ({ ...c })),
    };
    edit(manifest);
    const path = join(work, `${name}.zip`);
    const zip = await buildArtifactZip({ manifest, so: await readFile(REDISEARCH_SO), soName: 'redisearch.so' });
    await writeFile(path, zip);
    return path;
  }

  async function pushAndWait(zip: string) {
    const pushed = await run(['push', zip]);
    const action = await cluster.actions().then(list => list[0]!);
    return { pushed, action: await cluster.waitForAction(action.action_uid) };
  }

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 3 });
    work = await makeTmpDir('modfleet-e2e-modules');
    env = {
      MODFLEET_URL: cluster.coordinator.url,
      MODFLEET_USER: FLEET_ADMIN.email,
      MODFLEET_PASSWORD: FLEET_ADMIN.password,
    };
    redisearch = await discoverModule(REDISEARCH_SO, { redisServer: REDIS_SERVER, workDir: work });
  });

  afterAll(async () => {
    await cluster?.stop();
    if (work) await removeDir(work);
  });

  it('packs RediSearch by discovery, creates the CCS object from the zip, and every node’s check passes', async () => {
    const packed = await run(['pack', REDISEARCH_SO, '-o', 'json']);
    expect(packed.code, showCli(packed)).toBe(0);
    const { file, manifest } = JSON.parse(packed.stdout) as { file: string; manifest: Manifest };
    expect(manifest).toMatchObject({ module_name: 'ft', version: 10200, semantic_version: '1.2.0' });
    expect(manifest.commands).toEqual(redisearch.commands);
    expect(manifest.commands.find(c => c.command_name === 'FT.CREATE')).toMatchObject({
      command_arity: -1,
      first_key: 1,
      last_key: 1,
      step: 1,
      flags: ['write', 'denyoom', 'module'],
    });

    const inspected = await run(['inspect', file]);
    expect(inspected.code, showCli(inspected)).toBe(0);
    expect(inspected.stdout).toMatch(/registers ft version 10200 with \d+ commands/);
    expect(inspected.stdout).toMatch(/^0 errors, /m);

    const created = await run(['modules', 'create', file, '-o', 'json']);
    expect(created.code, showCli(created)).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ module_name: 'ft', version: 10200, display_name: 'ft' });

    const { pushed, action } = await pushAndWait(file);
    expect(pushed.code, showCli(pushed)).toBe(0);
    expect(pushed.stdout).toMatch(/^Module load check passed on nodes 1, 2, 3$/m);
    expect(action.status).toBe('completed');
    for (const op of Object.values(action.additional_info.pending_ops)) {
      expect(op.load_check).toMatchObject({ status: 'passed', redis_version: expect.stringMatching(/^7\./) as string });
    }
    const view = await cluster.waitForFleetView(checksSettled('ft@10200', 3), 'three load checks');
    for (const check of Object.values(nodeChecks(view, 'ft@10200'))) {
      expect(check).toMatchObject({ status: 'passed', reason: expect.stringMatching(/loaded as ft 10200/) as string });
    }
    const table = await run(['artifacts']);
    expect(table.stdout).not.toContain('Module load checks not passed');
  });

  it('fails fake.so on every node: installed with a failed check under warn, refused under enforce', async () => {
    const fake = await writeFakeSo(work);
    const warned = await run([
      'pack',
      fake,
      '--no-discover',
      '--name',
      'fake',
      '--version',
      '1',
      '--out',
      join(work, 'fake-1.zip'),
    ]);
    expect(warned.code, showCli(warned)).toBe(0);
    const discovering = await run(['pack', fake]);
    expect(discovering.code).not.toBe(0);
    expect(discovering.stderr).toMatch(/does not load .*failed to load: .*(file too short|invalid ELF header)/);

    const underWarn = await pushAndWait(join(work, 'fake-1.zip'));
    expect(underWarn.action.status).toBe('completed');
    // The push succeeds under warn, but says on its summary that no node can load what it installed.
    expect(underWarn.pushed.stdout).toMatch(
      /^Installed, but the module load check did not pass:\n {2}node 1: failed: does not load on this node: Module fake\.so failed to load: fake\.so: /m,
    );
    const view = await cluster.waitForFleetView(checksSettled('fake@1', 3), 'three load checks of fake@1');
    for (const check of Object.values(nodeChecks(view, 'fake@1'))) {
      expect(check).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/does not load on this node/) as string,
      });
      // The loader's words about fake.so, not the node's private temp paths or the log's prefix.
      expect(check?.reason).not.toMatch(/modfleet-so-|\d+:M \d/);
    }
    const listed = await run(['artifacts']);
    expect(listed.stdout).toMatch(/fake@1 on node 1: failed: does not load on this node/);
    expect((await run(['artifacts', '--check'])).code).toBe(3);

    expect((await cluster.api('/v1/cluster', { method: 'PUT', json: { module_load_check: 'enforce' } })).status).toBe(
      200,
    );
    try {
      await run(['pack', fake, '--no-discover', '--name', 'fake', '--version', '2', '--out', join(work, 'fake-2.zip')]);
      const enforced = await pushAndWait(join(work, 'fake-2.zip'));
      expect(enforced.pushed.code).not.toBe(0);
      expect(enforced.action.status).toBe('failed');
      for (const op of Object.values(enforced.action.additional_info.pending_ops)) {
        expect(op).toMatchObject({ status: 'failed', error: expect.stringMatching(/load check failed/) as string });
        expect(op.load_check?.status).toBe('failed');
      }
      for (const agent of cluster.agents) {
        expect((await cluster.localArtifacts(agent)).map(a => `${a.module_name}@${a.version}`)).not.toContain('fake@2');
      }
      const refused = await cluster.agentApi(cluster.agents[0]!, routes.localArtifacts, {
        method: 'POST',
        form: artifactForm(await readFile(join(work, 'fake-2.zip'))),
      });
      expect(refused.status).toBe(406);
      expect(refused.body).toMatchObject({
        error_code: 'invalid_module',
        description: expect.stringMatching(/module load check failed on this node: does not load/) as string,
      });
    } finally {
      await cluster.api('/v1/cluster', { method: 'PUT', json: { module_load_check: 'warn' } });
    }
  });

  it('packs with a RAMP manifest: its keys and arguments reach module.json and MODULE LOAD, misrouting is refused', async () => {
    const yml = join(work, 'ramp.yml');
    await writeFile(
      yml,
      [
        'module_name: search',
        'display_name: RediSearch',
        'capabilities: [types, failover_migrate]',
        'exclude_commands: [FT.DEBUG]',
        'min_redis_verison: "6.2"',
      ].join('\n'),
    );
    const packed = await run(['pack', REDISEARCH_SO, '--manifest', yml, '--out', 'search.zip', '-o', 'json']);
    expect(packed.code, showCli(packed)).toBe(0);
    const { manifest } = JSON.parse(packed.stdout) as { manifest: Manifest };
    expect(manifest).toMatchObject({ module_name: 'search', display_name: 'RediSearch', version: 10200 });
    expect(manifest.commands.map(c => c.command_name)).not.toContain('FT.DEBUG');
    expect(manifest.commands).toHaveLength(redisearch.commands.length - 1);
    expect(packed.stderr).toMatch(/^warning: .*ramp\.yml: unknown key "min_redis_verison"/m);
    expect(packed.stderr).toMatch(/^warning: module_name "search" differs from the name it registers, "ft"$/m);

    const withArgs = await run(['pack', REDISEARCH_SO, '--command-line-args', 'EXTLOAD /no/such/extension.so']);
    expect(withArgs.code).toBe(2);
    expect(withArgs.stderr).toMatch(
      /module_load_failed: .*with arguments "EXTLOAD \/no\/such\/extension\.so" does not load/,
    );
    expect(withArgs.stderr).toMatch(/<ft> Could not load extension \/no\/such\/extension\.so/);

    await writeFile(yml, 'overide_command:\n  - {command_name: FT.SEARCH, command_arity: 0}\n');
    const misrouting = await run(['pack', REDISEARCH_SO, '--manifest', yml, '--out', 'misrouting.zip']);
    expect(misrouting.code).toBe(2);
    expect(misrouting.stderr).toMatch(
      /invalid_module: .*nothing was written[\s\S]*FT\.SEARCH: command_arity 0 is not valid/,
    );
    expect(await readdir(work)).not.toContain('misrouting.zip');
  });

  it('catches a wrong arity and a missing command, in inspect and on every node', async () => {
    const wrongArity = await rediSearchZip('search-arity', m => {
      m.commands.find(c => c.command_name === 'FT.SEARCH')!.command_arity = 3;
    });
    const missing = await rediSearchZip('search-missing', m => {
      m.commands = m.commands.filter(c => c.command_name !== 'FT.SUGADD');
    });

    const arity = await run(['inspect', wrongArity]);
    expect(arity.code, showCli(arity)).toBe(1);
    expect(arity.stdout).toMatch(/^error: FT\.SEARCH: module\.json says command_arity 3, the module registers -1$/m);
    const omitted = await run(['inspect', missing]);
    expect(omitted.code, showCli(omitted)).toBe(1);
    expect(omitted.stdout).toMatch(/^error: FT\.SUGADD: registered by the module but missing from module\.json/m);

    await pushAndWait(wrongArity);
    await pushAndWait(missing);
    const view = await cluster.waitForFleetView(
      v => checksSettled('search-arity@10200', 3)(v) && checksSettled('search-missing@10200', 3)(v),
      'load checks of both bad manifests',
    );
    for (const check of Object.values(nodeChecks(view, 'search-arity@10200'))) {
      expect(check).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/FT\.SEARCH: .*command_arity 3/) as string,
      });
      expect(check?.warnings).toEqual([expect.stringMatching(/differs from the name it registers, "ft"/)]);
    }
    for (const check of Object.values(nodeChecks(view, 'search-missing@10200'))) {
      expect(check).toMatchObject({
        status: 'failed',
        reason: expect.stringMatching(/FT\.SUGADD: registered by the module but missing/) as string,
      });
    }
  });

  it('reports skipped on a node without a redis-server (a late joiner still gets the fleet)', async () => {
    const bare = await cluster.addAgent({ MODFLEET_REDIS_SERVER: join(work, 'no-such-redis-server') });

    const view = await cluster.waitForFleetView(
      v => v.find(a => a.module_name === 'ft')?.nodes[String(bare.uid)]?.load_check !== undefined,
      'the late joiner’s load check of ft@10200',
      { timeoutMs: 30_000 },
    );

    const cell = view.find(a => a.module_name === 'ft')!.nodes[String(bare.uid)]!;
    expect(cell.state).toBe('installed');
    expect(cell.load_check).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/no redis-server on this node/) as string,
    });
    const others = Object.entries(nodeChecks(view, 'ft@10200')).filter(([node]) => node !== String(bare.uid));
    expect(others.map(([, check]) => check?.status)).toEqual(['passed', 'passed', 'passed']);
  });
});
