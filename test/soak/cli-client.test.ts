import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_ADMIN, startFleetCluster, type FleetArtifactView, type FleetCluster } from '../helpers/fleet-cluster.js';
import { writeArtifactZip } from '../helpers/artifact-zip.js';
import { artifactForm } from '../helpers/http.js';
import { freePort, killAllProcesses, MODFLEET_BIN, REPO_ROOT } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import { cleanEnv, runCli as cli, showCli as show } from '../helpers/cli-run.js';

const OPENSSL = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe('modfleet client commands against a coordinator and two agents (real processes)', () => {
  let cluster: FleetCluster;
  let work: string;
  let env: Record<string, string>;
  /** `modfleet <args>` logged in as the cluster admin through the environment. */
  const run = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
    cli(args, { ...options, env: { ...env, ...options.env } });

  async function so(name: string): Promise<string> {
    const path = join(work, name);
    await writeFile(path, randomBytes(8 * 1024));
    return path;
  }

  /** Polls the fleet view (over the API, not the CLI) until `check` holds: inventories follow ops by a beat. */
  const fleetViewUntil = (check: (view: FleetArtifactView[]) => boolean) =>
    cluster.waitForFleetView(check, 'fleet view to settle');

  const states = (view: FleetArtifactView[], name: string) =>
    Object.fromEntries(
      Object.entries(view.find(a => `${a.module_name}@${a.version}` === name)?.nodes ?? {}).map(([n, c]) => [
        n,
        c.state,
      ]),
    );

  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2 });
    // These commands are tried on random-bytes stand-ins for a .so; module-load-check.test.ts
    // covers what the nodes' load checks make of them (and how `artifacts --check` treats a failure).
    const off = await cluster.api(routes.cluster, { method: 'PUT', json: { module_load_check: 'off' } });
    expect(off.status).toBe(200);
    work = await makeTmpDir('modfleet-e2e-cli-client');
    env = {
      MODFLEET_URL: cluster.coordinator.url,
      MODFLEET_USER: FLEET_ADMIN.email,
      MODFLEET_PASSWORD: FLEET_ADMIN.password,
    };
  });

  afterAll(async () => {
    await cluster?.stop();
    await killAllProcesses();
    if (work) await removeDir(work);
  });

  it('nodes: a table of uid, addr, status and last heartbeat; -o json is the raw answer', async () => {
    const table = await run(['nodes']);
    expect(table.code, show(table)).toBe(0);
    expect(table.stderr).toBe('');
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UID\s+ADDR\s+STATUS\s+LAST HEARTBEAT$/);
    for (const [index, agent] of cluster.agents.entries()) {
      expect(lines[index + 1]).toMatch(new RegExp(`^${agent.uid}\\s+${agent.url}\\s+active\\s+\\ds ago$`));
    }
    const json = await run(['nodes', '-o', 'json']);
    expect((JSON.parse(json.stdout) as { uid: number }[]).map(n => n.uid)).toEqual([1, 2]);
  });

  it('pack builds <name>-<version>.zip; push installs it on every node with per-node progress, exit 0', async () => {
    const packed = await run(
      ['pack', await so('testmodule.so'), '--no-discover', '--name', 'TestModule', '--version', '20804'],
      {
        cwd: work,
      },
    );
    expect(packed.code, show(packed)).toBe(0);
    expect(packed.stdout).toMatch(/^Wrote .*TestModule-20804\.zip .*TestModule version 20804 \(2\.8\.4\)/);
    expect(await readdir(work)).toContain('TestModule-20804.zip');

    const pushed = await run(['push', join(work, 'TestModule-20804.zip')]);
    expect(pushed.code, show(pushed)).toBe(0);
    // not a TTY: one line per node status change, no bars, no colour
    expect(pushed.stderr).toMatch(/^action [0-9a-f-]{36}: Install TestModule@20804 on every node$/m);
    expect(pushed.stderr).toMatch(/^node 1: completed$/m);
    expect(pushed.stderr).toMatch(/^node 2: completed$/m);
    expect(pushed.stderr).not.toContain('\x1b[');
    expect(pushed.stdout).toMatch(/^install_module_artifact [0-9a-f-]{36}: completed$/m);
    expect(pushed.stdout).toMatch(/^NODE\s+STATUS\s+PROGRESS\s+ATTEMPTS\s+ERROR$/m);
    expect(pushed.stdout).toMatch(/^1\s+completed\s+100%\s+\d+$/m);
    expect(pushed.stdout).toMatch(/^2\s+completed\s+100%\s+\d+$/m);

    for (const agent of cluster.agents) {
      expect(await cluster.localArtifacts(agent)).toEqual([
        { module_name: 'TestModule', version: 20804, dependencies: [] },
      ]);
    }
    const view = await fleetViewUntil(v => states(v, 'TestModule@20804')['2'] === 'installed');
    expect(states(view, 'TestModule@20804')).toEqual({ '1': 'installed', '2': 'installed' });

    const matrix = await run(['artifacts']);
    expect(matrix.code, show(matrix)).toBe(0);
    expect(matrix.stdout).toMatch(/^ARTIFACT\s+SHA256\s+NODE 1\s+NODE 2$/m);
    expect(matrix.stdout).toMatch(/^TestModule@20804\s+[0-9a-f]{12}\s+installed\s+installed$/m);
    expect(matrix.stdout).not.toContain('Drift');
  });

  it('push --nodes 2 --no-wait prints the action uid; actions <uid> --watch follows it to the end', async () => {
    await writeArtifactZip(join(work, 's.zip'), { manifest: { module_name: 'Subset', version: 1 } });
    const started = await run(['push', join(work, 's.zip'), '--nodes', '2', '--no-wait']);
    expect(started.code, show(started)).toBe(0);
    const uid = started.stdout.trim();
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);

    const watched = await run(['actions', uid, '--watch']);
    expect(watched.code, show(watched)).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`^action\\s+${uid}$`, 'm'));
    expect(watched.stdout).toMatch(/^status\s+completed \(100%\)$/m);
    expect(watched.stdout).toMatch(/^2\s+completed\s+100%/m);
    expect(watched.stdout).not.toMatch(/^1\s+/m);

    const list = await run(['actions']);
    expect(list.stdout).toMatch(/^UID\s+NAME\s+OBJECT\s+STATUS\s+PROGRESS\s+CREATED\s+BY$/m);
    // BY: the audit log's word on who pushed it (the admin this test logs in as).
    expect(list.stdout).toMatch(
      new RegExp(`^${uid}\\s+install_module_artifact\\s+Subset@1\\s+completed\\s+100%\\s+\\S+ \\S+\\s+\\S+@\\S+$`, 'm'),
    );

    const view = await fleetViewUntil(v => states(v, 'Subset@1')['2'] === 'installed');
    expect(states(view, 'Subset@1')).toEqual({ '1': 'not_targeted', '2': 'installed' });
    expect((await run(['artifacts'])).stdout).toMatch(/^Subset@1\s+[0-9a-f]{12}\s+-\s+installed$/m);
  });

  it('a node holding other bytes fails the push (exit 1, its error printed); artifacts shows the drift; sync repairs it', async () => {
    const fleetZip = join(work, 'drift-fleet.zip');
    const localZip = join(work, 'drift-local.zip');
    await writeArtifactZip(fleetZip, { manifest: { module_name: 'Drifty', version: 7 } });
    // node 1 gets other bytes under the same name and version straight through its local RS API
    const other = await writeArtifactZip(localZip, { manifest: { module_name: 'Drifty', version: 7 } });
    const local = await cluster.agentApi(cluster.agent(1), routes.localArtifacts, {
      method: 'POST',
      form: artifactForm(other),
    });
    expect(local.status).toBe(200);

    const pushed = await run(['push', fleetZip]);
    expect(pushed.code, show(pushed)).toBe(1);
    expect(pushed.stderr).toMatch(
      /^modfleet: action_failed: install_module_artifact [0-9a-f-]{36} did not complete on node 1$/m,
    );
    expect(pushed.stderr).toMatch(/^ {2}node 1: failed after \d+ attempts?: .*drift/m);
    expect(pushed.stdout).toMatch(/^2\s+completed/m);

    await fleetViewUntil(v => states(v, 'Drifty@7')['1'] === 'mismatch');
    const check = await run(['artifacts', '--check']);
    expect(check.code, show(check)).toBe(3);
    expect(check.stdout).toMatch(/^Drifty@7\s+[0-9a-f]{12}\s+mismatch\s+installed$/m);
    expect(check.stdout).toMatch(/^ {2}Drifty@7 on node 1: mismatch/m);
    expect(check.stdout).toContain('modfleet sync');

    const synced = await run(['sync']);
    expect(synced.code, show(synced)).toBe(0);
    expect(synced.stdout).toMatch(/^sync_module_artifacts [0-9a-f-]{36}: completed$/m);
    expect(synced.stdout).toMatch(/^1\s+completed/m);
    await fleetViewUntil(v => states(v, 'Drifty@7')['1'] === 'installed');
    expect((await run(['artifacts', '--check'])).code).toBe(0);
  });

  it('rm deletes an artifact from every node and waits; a second rm is a 404 (exit 1)', async () => {
    const removed = await run(['rm', 'Drifty', '7']);
    expect(removed.code, show(removed)).toBe(0);
    expect(removed.stdout).toMatch(/^delete_module_artifact [0-9a-f-]{36}: completed$/m);
    for (const agent of cluster.agents) {
      expect((await cluster.localArtifacts(agent)).map(a => a.module_name)).not.toContain('Drifty');
    }
    await fleetViewUntil(v => !v.some(a => a.module_name === 'Drifty'));

    const again = await run(['rm', 'Drifty', '7']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('modfleet: module_artifact_not_found: The fleet has no artifact Drifty version 7\n');
  });

  it('modules create | list | delete manage the CCS module objects', async () => {
    const file = join(work, 'module-def.json');
    await writeFile(
      file,
      JSON.stringify({
        module_name: 'TestModule',
        version: 1,
        semantic_version: '0.0.1',
        display_name: 'test module',
        commands: [
          { command_name: 'test.cmd', command_arity: -1, first_key: 1, last_key: 1, step: 1, flags: ['write'] },
        ],
        command_line_args: '',
        capabilities: ['types'],
        min_redis_version: '7.0',
      }),
    );
    const created = await run(['modules', 'create', file]);
    expect(created.code, show(created)).toBe(0);
    const uid = /^Created module object ([0-9a-f]{32}) \(TestModule version 1\)$/m.exec(created.stdout)?.[1];
    expect(uid, created.stdout).toBeDefined();

    const twice = await run(['modules', 'create', file]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^modfleet: module_exists: /);

    const list = await run(['modules', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${uid}\\s+TestModule\\s+1\\s+0\\.0\\.1\\s+7\\.0\\s+types$`, 'm'));

    const deleted = await run(['modules', 'delete', uid!]);
    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted module object ${uid}\n` });
    const gone = await run(['modules', 'delete', uid!]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^modfleet: module_delete_failed: /);
  });

  it('errors: 401 with a hint, connection refused naming the URL, usage errors exit 2', async () => {
    const wrong = await run(['nodes'], { env: { MODFLEET_PASSWORD: 'not-the-password' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^modfleet: unauthorized: .*\nmodfleet: hint: check --user and --password/);

    const none = await cli(['nodes', '--url', cluster.coordinator.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('hint: no password given');

    const port = await freePort();
    const refused = await run(['nodes', '--url', `http://127.0.0.1:${port}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `modfleet: cannot connect to the coordinator at http://127.0.0.1:${port}: connection refused (is it running? point --url or MODFLEET_URL at it)\n`,
    );

    for (const args of [
      ['push', join(work, 'nope.zip')],
      ['push', join(work, 'TestModule-20804.zip'), '--nodes', 'one'],
      ['rm', 'TestModule', 'latest'],
    ]) {
      const result = await run(args);
      expect(result.code, `${args.join(' ')}\n${show(result)}`).toBe(2);
      expect(result.stderr).not.toBe('');
    }
  });

  it.skipIf(!SCRIPT)('on a terminal, push draws one progress bar per node on stderr', async () => {
    await writeArtifactZip(join(work, 'tty.zip'), { manifest: { module_name: 'Tty', version: 1 } });
    const command = `${process.execPath} ${MODFLEET_BIN} push ${join(work, 'tty.zip')}`;
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: cleanEnv({ ...env, TERM: 'xterm', COLUMNS: '120' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, output).toBe(0);
    expect(output).toMatch(/node 1 \u2588+ 100% \| .*completed/);
    expect(output).toMatch(/node 2 \u2588+ 100% \| .*completed/);
    expect(output).not.toMatch(/^node 1: /m); // bars, not lines
    expect(output).toContain('\x1b[32mcompleted'); // colour on a terminal
  });

  it.skipIf(!OPENSSL)('-k accepts a self-signed certificate; without it the TLS error says to use -k', async () => {
    const tls = await makeTmpDir('modfleet-e2e-cli-tls');
    const prefix = uniquePrefix();
    try {
      const made = spawnSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
          '-keyout',
          join(tls, 'key.pem'),
          '-out',
          join(tls, 'cert.pem'),
        ]),
        { stdio: 'ignore' },
      );
      expect(made.status).toBe(0);
      const port = await freePort();
      const coordinator = spawn(process.execPath, [MODFLEET_BIN, 'coordinator'], {
        cwd: REPO_ROOT,
        env: cleanEnv({
          REDIS_URL,
          MODFLEET_PREFIX: prefix,
          MODFLEET_PORT: String(port),
          MODFLEET_DATA_DIR: join(tls, 'data'),
          MODFLEET_ADMIN_PASSWORD: 'tls-admin-password',
          MODFLEET_TLS_CERT: join(tls, 'cert.pem'),
          MODFLEET_TLS_KEY: join(tls, 'key.pem'),
          LOG_LEVEL: 'warn',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      coordinator.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
      coordinator.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
      try {
        const url = `https://127.0.0.1:${port}`;
        // A coordinator's start takes seconds on a loaded CI machine, not the quiet machine's half second.
        const deadline = Date.now() + 60_000;
        while (!(await healthy(url))) {
          if (Date.now() > deadline || coordinator.exitCode !== null)
            throw new Error(`TLS coordinator did not start:\n${log}`);
          await sleep(100);
        }
        const login = { MODFLEET_URL: url, MODFLEET_PASSWORD: 'tls-admin-password' };
        const refused = await cli(['nodes'], { env: login });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^modfleet: cannot verify the TLS certificate of https:\/\/127\.0\.0\.1:\d+: /);
        expect(refused.stderr).toContain('hint: pass -k/--insecure');
        const accepted = await cli(['nodes', '-k', '-o', 'json'], { env: login });
        expect(accepted.code, show(accepted)).toBe(0);
        expect(JSON.parse(accepted.stdout)).toEqual([]);
      } finally {
        coordinator.kill('SIGKILL');
        if (coordinator.exitCode === null && coordinator.signalCode === null) await once(coordinator, 'close');
      }
    } finally {
      await deletePrefix(prefix);
      await removeDir(tls);
    }
  });
});

function healthy(url: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = httpsRequest(`${url}${routes.healthz}`, { rejectUnauthorized: false, timeout: 1000 }, res => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}
