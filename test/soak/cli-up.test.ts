import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { routes, type NodeView } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import {
  freePort,
  freePortRange,
  groupAlive,
  killAllProcesses,
  portClosed,
  runModfleet,
  runToExit,
  waitUntil,
} from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import { runCli, showCli } from '../helpers/cli-run.js';
import { httpsGet } from '../helpers/tls.js';
import { interruptUp, upArgs, waitForSummary } from '../helpers/modfleet-up.js';

const REDIS_SERVER_ON_PATH = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

async function uploadWorks(agentUrl: string, admin: Credentials, moduleName: string): Promise<void> {
  const zip = await buildArtifactZip({ manifest: { module_name: moduleName, version: 1 } });
  const upload = await api(`${agentUrl}${routes.localArtifacts}`, {
    method: 'POST',
    credentials: admin,
    form: artifactForm(zip),
  });
  expect(upload.status, JSON.stringify(upload.body)).toBe(200);
  const list = await api<{ module_name: string }[]>(`${agentUrl}${routes.localArtifacts}`, { credentials: admin });
  expect(list.body.map(a => a.module_name)).toEqual([moduleName]);
}

describe('modfleet up', () => {
  let prefix: string;
  let dataDir: string;

  beforeEach(async () => {
    prefix = uniquePrefix();
    dataDir = await makeTmpDir('modfleet-e2e-up');
  });

  afterEach(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  it('gives the coordinator 127.0.0.1 and node N 127.0.0.(N+1), all on one HTTPS and one HTTP port, with addr an IP', async () => {
    const [port, httpPort] = [await freePort(), await freePort()];
    const up = runModfleet(upArgs({ nodes: 2, port, httpPort, dataDir, prefix, redisUrl: REDIS_URL }), {}, 'up');
    const summary = await waitForSummary(up, 2);
    expect(summary.coordinator).toBe(`https://127.0.0.1:${port}`);
    expect(summary.nodes).toEqual([`https://127.0.0.2:${port}`, `https://127.0.0.3:${port}`]);
    expect(summary.nodesHttp).toEqual([`http://127.0.0.2:${httpPort}`, `http://127.0.0.3:${httpPort}`]);
    expect(summary.caFile).toBe(join(dataDir, 'tls', 'ca.pem'));
    const ca = await readFile(summary.caFile, 'utf8');

    // As in RS: addr is an IP, and https://$addr:<port> reaches that very node.
    const nodes = await httpsGet<NodeView[]>(`${summary.coordinator}${routes.nodes}`, {
      ca,
      credentials: summary.admin,
    });
    expect(nodes.body.map(node => ({ uid: node.uid, addr: node.addr, url: node.url }))).toEqual([
      { uid: 1, addr: '127.0.0.2', url: `https://127.0.0.2:${port}` },
      { uid: 2, addr: '127.0.0.3', url: `https://127.0.0.3:${port}` },
    ]);
    await uploadWorks(summary.nodesHttp[0]!, summary.admin, 'UpModule');
    const listed = await httpsGet<{ module_name: string }[]>(
      `https://${nodes.body[0]!.addr}:${port}${routes.localArtifacts}`,
      {
        ca,
        credentials: summary.admin,
      },
    );
    expect(listed.body.map(a => a.module_name)).toEqual(['UpModule']);
    const other = await httpsGet(`https://${nodes.body[1]!.addr}:${port}${routes.localArtifacts}`, {
      ca,
      credentials: summary.admin,
    });
    expect(other.body).toEqual([]);

    // The CLI verifies the cluster's certificates with the CA it is given (or finds under .modfleet/).
    const cli = await runCli(
      ['nodes', '--url', summary.coordinator, '--password', summary.admin.password, '-o', 'json'],
      {
        env: { MODFLEET_CA: summary.caFile, MODFLEET_USER: summary.admin.email },
      },
    );
    expect(cli.code, showCli(cli)).toBe(0);
    expect((JSON.parse(cli.stdout) as NodeView[]).map(node => node.addr)).toEqual(['127.0.0.2', '127.0.0.3']);
    const untrusted = await runCli(['nodes', '--url', summary.coordinator, '--password', summary.admin.password], {
      env: { MODFLEET_USER: summary.admin.email },
      cwd: dataDir,
    });
    expect(untrusted.code, showCli(untrusted)).toBe(1);
    expect(untrusted.stderr).toMatch(/-k\/--insecure/);

    expect(await interruptUp(up)).toEqual({ code: 0, signal: null });
    for (const host of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      for (const p of [port, httpPort]) expect(await portClosed(p, host), `${host}:${p} after SIGINT`).toBe(true);
    }
  });

  it.skipIf(!REDIS_SERVER_ON_PATH)(
    'starts a private redis-server when the Redis URL does not answer, and stops it on SIGINT',
    async () => {
      const port = await freePortRange(2);
      const httpPort = await freePortRange(2);
      const unused = await freePort();
      const redisUrl = `redis://127.0.0.1:${unused}`;
      const up = runModfleet(upArgs({ ports: true, nodes: 1, port, httpPort, dataDir, prefix, redisUrl }), {}, 'up');
      const summary = await waitForSummary(up, 1);
      const started = /started a private redis-server on redis:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout());
      expect(started, up.stdout()).not.toBeNull();
      const redisPort = Number(started![1]);
      expect(up.stdout()).toMatch(new RegExp(`^\\s+redis\\s+redis://127\\.0\\.0\\.1:${redisPort}\\b`, 'm'));
      expect(await portClosed(redisPort)).toBe(false);

      expect(summary.nodes).toEqual([`https://127.0.0.1:${port + 1}`]);
      await uploadWorks(summary.nodesHttp[0]!, summary.admin, 'PrivateRedisModule');
      const created = await api(`${summary.coordinatorHttp}${routes.users}`, {
        method: 'POST',
        credentials: summary.admin,
        json: { email: 'someone@up.local', password: 'someone-password', role: 'db_viewer' },
      });
      expect(created.status).toBe(200);

      expect(await interruptUp(up)).toEqual({ code: 0, signal: null });
      for (const p of [port, port + 1, redisPort]) expect(await portClosed(p), `port ${p} after SIGINT`).toBe(true);
    },
  );

  it('stops promptly with a message naming the port, leaving nothing running, when an agent port is already taken', async () => {
    const port = await freePortRange(4);
    // Another program holds node 1's port: it accepts connections and never answers.
    const sockets: Socket[] = [];
    const squatter = createServer(socket => sockets.push(socket)).listen(port + 1, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const result = await runToExit(
        upArgs({ ports: true, nodes: 3, port, dataDir, prefix, redisUrl: REDIS_URL }),
        {},
        // `up` gives each service 60 s to become healthy; an agent that exits at once must not need that long.
        20_000,
      );
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toMatch(/agent 1/);
      expect(result.stderr).toContain(`port ${port + 1} on 127.0.0.1 (for agent 1) is already in use`);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      // The coordinator and the agents that did start are stopped again: nothing outlives `up`.
      await waitUntil(() => !groupAlive(result.pid), 'processes started by the failed `up` still running', 3_000);
      for (const p of [port, port + 2, port + 3]) expect(await portClosed(p), `port ${p} after up failed`).toBe(true);
    } finally {
      sockets.forEach(socket => socket.destroy());
      squatter.close();
    }
  });

  it('without redis-server on PATH and no Redis answering, exits non-zero with one sentence saying how to get Redis', async () => {
    const emptyPath = join(dataDir, 'empty-path');
    const unused = await freePort();
    const result = await runToExit(
      upArgs({ nodes: 1, port: await freePortRange(2), dataDir: join(dataDir, 'cluster') }),
      // An empty PATH hides redis-server even on machines that have it.
      { PATH: emptyPath, REDIS_URL: `redis://127.0.0.1:${unused}` },
      20_000,
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/redis-server/);
    expect(lines[0]).toMatch(/install|docker run/i);
    expect(lines[0]).toContain(`127.0.0.1:${unused}`);
    expect(lines[0]).not.toMatch(/^\s+at /m);
  });
});
