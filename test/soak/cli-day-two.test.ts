import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, showCli as show } from '../helpers/cli-run.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { killAllProcesses } from '../helpers/processes.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

// Each CLI run is a Node process start: about 2 s of CPU before it sends a request, which on a
// shared 2-core machine under load can take over 30 s of wall time (runCli's default kill), so each
// run here gets 90 s. On a busy machine the users round trip alone takes a minute.
const CLI_TIMEOUT_MS = 90_000;

describe('day two on a real cluster: contexts, node-local, cluster and users commands', { timeout: 420_000 }, () => {
  let cluster: FleetCluster;
  let work: string;
  /** Only the config dir: everything else comes from the saved context. */
  const run = (args: string[], env: Record<string, string> = {}) =>
    runCli(args, { env: { XDG_CONFIG_HOME: join(work, 'config'), ...env }, timeoutMs: CLI_TIMEOUT_MS });

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2 });
    await cluster.api(routes.cluster, { method: 'PUT', json: { module_load_check: 'off' } });
    work = await makeTmpDir('modfleet-e2e-day-two');
    const login = await run(['login', '--url', cluster.coordinator.url, '--user', FLEET_ADMIN.email, '--name', 'e2e'], {
      MODFLEET_PASSWORD: FLEET_ADMIN.password,
    });
    expect(login.code, show(login)).toBe(0);
    // saved without the password: each command gets it from the environment
    expect(login.stderr).toContain('password not saved');
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    await killAllProcesses();
    if (work) await removeDir(work);
  });

  const admin = (args: string[]) => run(args, { MODFLEET_PASSWORD: FLEET_ADMIN.password });

  it('the context saved by login is used without --url; the file is 0600', async () => {
    expect((await stat(join(work, 'config', 'modfleet', 'config.json'))).mode & 0o777).toBe(0o600);
    const nodes = await admin(['-o', 'json', 'nodes']);
    expect(nodes.code, show(nodes)).toBe(0);
    expect((JSON.parse(nodes.stdout) as { uid: number }[]).map(n => n.uid).sort()).toEqual([1, 2]);
    const list = await run(['context', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^\\*\\s+e2e\\s+${cluster.coordinator.url}\\s+${FLEET_ADMIN.email}`, 'm'));
  });

  it('push --node and rm --node go through the node itself; a wrong uid lists the valid ones', async () => {
    const so = join(work, 'local.so');
    await writeFile(so, randomBytes(4096));
    const zip = join(work, 'LocalOnly-3.zip');
    const pack = await run(['pack', so, '--no-discover', '--name', 'LocalOnly', '--version', '3', '--out', zip]);
    expect(pack.code, show(pack)).toBe(0);

    const pushed = await admin(['push', zip, '--node', '2']);
    expect(pushed.code, show(pushed)).toBe(0);
    expect(pushed.stdout).toContain(`LocalOnly@3 installed on node 2 (${cluster.agent(2).url})`);
    expect((await cluster.localArtifacts(cluster.agent(2))).map(a => a.module_name)).toContain('LocalOnly');
    expect((await cluster.localArtifacts(cluster.agent(1))).map(a => a.module_name)).not.toContain('LocalOnly');

    const wrong = await admin(['rm', 'LocalOnly', '3', '--node', '9']);
    expect(wrong.code, show(wrong)).toBe(2);
    expect(wrong.stderr).toContain('no node 9; valid node uids: 1, 2');

    const removed = await admin(['rm', 'LocalOnly', '3', '--node', '2', '-o', 'json']);
    expect(removed.code, show(removed)).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ node_uid: 2, module_name: 'LocalOnly', deleted: true });
    expect((await cluster.localArtifacts(cluster.agent(2))).map(a => a.module_name)).not.toContain('LocalOnly');
  });

  it('cluster set takes typed key=value pairs; a bad value is the server RS error, as JSON under -o json', async () => {
    const set = await admin([
      'cluster',
      'set',
      'login_lockout_threshold=7',
      'allow_modules_upload=false',
      '-o',
      'json',
    ]);
    expect(set.code, show(set)).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ login_lockout_threshold: 7, allow_modules_upload: false });
    const get = await admin(['cluster', 'get']);
    expect(get.stdout).toMatch(/^allow_modules_upload\s+false$/m);

    const bad = await admin(['cluster', 'set', 'module_load_check=sometimes', '-o', 'json']);
    expect(bad.code, show(bad)).toBe(1);
    const body = JSON.parse(bad.stdout) as { error_code: string; description: string };
    expect(body.error_code).toBe('invalid_schema');
    expect(body.description).toContain('module_load_check');
    expect((await admin(['cluster', 'set', 'allow_modules_upload=true'])).code).toBe(0);
  });

  it('users create, passwd and rm; the new user logs in with the password set', async () => {
    const email = 'ops@fleet.local';
    const created = await run(['users', 'create', email, '--role', 'db_viewer'], {
      MODFLEET_PASSWORD: FLEET_ADMIN.password,
      MODFLEET_NEW_PASSWORD: 'first-password-1',
    });
    expect(created.code, show(created)).toBe(0);
    const asOps = (password: string) => run(['nodes', '--user', email], { MODFLEET_PASSWORD: password });
    expect((await asOps('first-password-1')).code).toBe(0);

    const changed = await run(['users', 'passwd', email], {
      MODFLEET_PASSWORD: FLEET_ADMIN.password,
      MODFLEET_NEW_PASSWORD: 'second-password-2',
    });
    expect(changed.code, show(changed)).toBe(0);
    expect((await asOps('first-password-1')).code).toBe(1);
    expect((await asOps('second-password-2')).code).toBe(0);

    const list = await admin(['users', 'list']);
    expect(list.stdout).toMatch(/^\d+\s+ops@fleet\.local\s+.*db_viewer\s+active$/m);
    expect((await admin(['users', 'rm', email])).code).toBe(0);
    const gone = await admin(['users', 'rm', email]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`no user ${email}`);
  });

  it('nodes rm removes a stopped node from the cluster', async () => {
    const third = await cluster.addAgent();
    await cluster.waitForNodes([1, 2, third.uid]);
    await cluster.stopAgent(third);
    const removed = await admin(['nodes', 'rm', String(third.uid)]);
    expect(removed.code, show(removed)).toBe(0);
    expect(removed.stdout).toContain(`Node ${third.uid} (${third.url}) removed from the cluster`);
    const nodes = await admin(['nodes', '-o', 'json']);
    expect((JSON.parse(nodes.stdout) as { uid: number }[]).map(n => n.uid).sort()).toEqual([1, 2]);
  });
});
