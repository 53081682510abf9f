/**
 * `modfleet push --from-url`: the coordinator (a real process) fetches the artifact from a local HTTP
 * server that wants a bearer token, and every agent installs it; the token shows up nowhere.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { routes, type ActionObject, type LogEvent } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { runCli, showCli } from '../helpers/cli-run.js';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';

const TOKEN = 'e2e-upstream-token-9c41f0';

describe('a push from a URL (real processes)', () => {
  let cluster: FleetCluster;
  let server: Server;
  let upstream: string;
  let zip: Buffer;
  let sha256: string;
  const authorizations: (string | undefined)[] = [];

  beforeAll(async () => {
    zip = await buildArtifactZip({ manifest: { module_name: 'UrlPushed', version: 3 } });
    sha256 = createHash('sha256').update(zip).digest('hex');
    server = createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
      if (req.url === '/releases/urlpushed.zip') return res.writeHead(200).end(zip);
      res.writeHead(404).end();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cluster = await startFleetCluster({ nodes: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
    server?.closeAllConnections();
    await new Promise(resolve => server?.close(resolve));
  });

  it('installs on every node with the header reaching the server only; a wrong sha256 or a 404 pushes nothing', async () => {
    const pushed = await runCli(
      [
        'push',
        '--from-url',
        `${upstream}/releases/urlpushed.zip`,
        '--sha256',
        sha256,
        '--header',
        `Authorization: Bearer ${TOKEN}`,
      ],
      {
        env: {
          MODFLEET_URL: cluster.coordinator.url,
          MODFLEET_USER: FLEET_ADMIN.email,
          MODFLEET_PASSWORD: FLEET_ADMIN.password,
        },
        timeoutMs: 90_000,
      },
    );
    expect(pushed.code, showCli(pushed)).toBe(0);
    expect(authorizations).toEqual([`Bearer ${TOKEN}`]);
    for (const agent of cluster.agents) {
      expect(await cluster.localArtifacts(agent)).toMatchObject([{ module_name: 'UrlPushed', version: 3 }]);
    }
    const [action] = await cluster.actions();
    expect(action).toMatchObject({
      status: 'completed',
      additional_info: { description: `Install UrlPushed@3 on every node from ${upstream}/releases/urlpushed.zip` },
    } as Partial<ActionObject>);

    const wrong = await cluster.api(routes.fleetArtifacts, {
      method: 'POST',
      json: {
        url: `${upstream}/releases/urlpushed.zip`,
        sha256: '0'.repeat(64),
        headers: { Authorization: `Bearer ${TOKEN}` },
      },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error_code: 'sha256_mismatch' });
    const missing = await cluster.api(routes.fleetArtifacts, {
      method: 'POST',
      json: { url: `${upstream}/releases/other.zip`, headers: { Authorization: `Bearer ${TOKEN}` } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error_code: 'artifact_fetch_failed',
      description: `${upstream}/releases/other.zip answered 404`,
    });
    expect((await cluster.actions()).map(a => a.action_uid)).toEqual([action!.action_uid]);
    const dataDir = cluster.coordinator.dataDir;
    expect(await readdir(join(dataDir, 'blobs'))).toEqual(expect.arrayContaining([`${sha256}.zip`]));
    expect((await readdir(join(dataDir, 'blobs'))).filter(name => name.endsWith('.zip'))).toEqual([`${sha256}.zip`]);
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);

    const events = await cluster.api<LogEvent[]>(routes.logs);
    expect(events.body.filter(event => event.type === 'module_artifact_push_started')).toMatchObject([
      { source_url: `${upstream}/releases/urlpushed.zip` },
    ]);
    const everywhere = [
      JSON.stringify(await cluster.actions()),
      JSON.stringify(events.body),
      cluster.coordinator.process!.output(),
      pushed.stdout,
      pushed.stderr,
    ].join('\n');
    expect(everywhere).toContain('fleet push accepted');
    expect(everywhere).not.toContain(TOKEN);
  });
});
