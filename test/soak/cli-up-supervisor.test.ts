import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { routes } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm } from '../helpers/http.js';
import { interruptUp, startUp, UP_ADMIN, type UpFlags } from '../helpers/modfleet-up.js';
import { freePort, freePortRange, killAllProcesses, waitUntil, type ModfleetProcess } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const REDIS_CLI_ON_PATH = spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;

/** The pid behind a service URL, as its /healthz says (asked for up to 10 s: the machine may be busy). */
async function pidAt(url: string): Promise<number | undefined> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      const res = await fetch(`${url}${routes.healthz}`, { signal: AbortSignal.timeout(5_000) });
      const body = (await res.json()) as { pid?: number };
      if (res.ok && body.pid) return body.pid;
    } catch {
      // not answering yet
    }
    await sleep(500);
  }
  return undefined;
}

/** `port`: the services' plain HTTP ports (P, P+1, …) this file calls them on; their HTTPS is elsewhere. */
async function startSupervised(
  flags: Pick<UpFlags, 'nodes' | 'redisUrl'>,
  port: number,
  dataDir: string,
  prefix: string,
): Promise<ModfleetProcess> {
  return startUp({ ...flags, ports: true, port: await freePortRange(4), httpPort: port, dataDir, prefix });
}

async function stopUp(up: ModfleetProcess): Promise<void> {
  expect(await interruptUp(up)).toEqual({ code: 0, signal: null });
}

describe('modfleet up supervises its services', () => {
  let prefix: string;
  let dataDir: string;
  beforeEach(async () => {
    prefix = uniquePrefix();
    dataDir = await makeTmpDir('modfleet-e2e-supervise');
  });
  afterEach(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  it('restarts an agent killed with SIGKILL, says so, and keeps the other services running', async () => {
    const port = await freePortRange(3);
    const up = await startSupervised({ nodes: 2, redisUrl: REDIS_URL }, port, dataDir, prefix);
    const [coordinator, node1, node2] = [port, port + 1, port + 2].map(p => `http://127.0.0.1:${p}`) as [
      string,
      string,
      string,
    ];
    const [coordinatorPid, firstPid, otherPid] = await Promise.all([pidAt(coordinator), pidAt(node1), pidAt(node2)]);
    expect(firstPid).toBeGreaterThan(0);

    process.kill(firstPid!, 'SIGKILL');

    await up.waitForOutput(/agent 1 killed by SIGKILL; restarting in 1 s/, 10_000);
    await up.waitForOutput(/agent 1 is running again \(pid \d+\)/, 30_000);
    const newPid = await pidAt(node1);
    expect(newPid).toBeGreaterThan(0);
    expect(newPid).not.toBe(firstPid);
    expect(await pidAt(node2)).toBe(otherPid);
    expect(await pidAt(coordinator)).toBe(coordinatorPid);
    expect(up.isRunning()).toBe(true);
    // The cluster still answers, the restarted node included.
    const nodes = await api<{ uid: number; status: string }[]>(`${coordinator}${routes.nodes}`, {
      credentials: UP_ADMIN,
    });
    expect(nodes.status).toBe(200);
    const zip = await buildArtifactZip({ manifest: { module_name: 'AfterRestart', version: 1 } });
    const upload = await api(`${node1}${routes.localArtifacts}`, {
      method: 'POST',
      credentials: UP_ADMIN,
      form: artifactForm(zip),
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    await waitUntil(
      async () => {
        const res = await api<{ uid: number; status: string }[]>(`${coordinator}${routes.nodes}`, {
          credentials: UP_ADMIN,
        });
        return res.body.length === 2 && res.body.every(node => node.status === 'active');
      },
      'both nodes active after the restart',
      15_000,
    );

    await stopUp(up);
  }, 240_000);

  it.skipIf(!REDIS_CLI_ON_PATH)(
    'restarts its private redis-server on the same port with its data when it dies',
    async () => {
      const port = await freePortRange(2);
      const redisUrl = `redis://127.0.0.1:${await freePort()}`;
      const up = await startSupervised({ nodes: 1, redisUrl }, port, dataDir, prefix);
      const redisPort = /started a private redis-server on redis:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())?.[1];
      expect(redisPort, up.stdout()).toBeDefined();
      const coordinator = `http://127.0.0.1:${port}`;
      const user = { email: 'kept@up.local', password: 'kept-user-password' };
      const created = await api(`${coordinator}${routes.users}`, {
        method: 'POST',
        credentials: UP_ADMIN,
        json: { ...user, role: 'db_viewer' },
      });
      expect(created.status).toBe(200);
      // appendfsync everysec: give the AOF its second.
      await sleep(1_500);
      const info = spawnSync('redis-cli', ['-p', redisPort!, 'info', 'server'], { encoding: 'utf8' }).stdout;
      const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      expect(redisPid).toBeGreaterThan(0);

      process.kill(redisPid, 'SIGKILL');

      await up.waitForOutput(/redis-server killed by SIGKILL; restarting in 1 s/, 10_000);
      await up.waitForOutput(/redis-server is running again/, 20_000);
      // The services reconnect by themselves and the data came back from the AOF.
      await waitUntil(
        async () => (await api(`${coordinator}${routes.modules}`, { credentials: user })).status === 200,
        'the user created before the crash logs in again',
        20_000,
      );
      expect(up.isRunning()).toBe(true);

      await stopUp(up);
    },
    240_000,
  );
});
