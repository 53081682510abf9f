import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClusterCa, routes, type NodeView } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { FLEET_ADMIN } from '../helpers/fleet-types.js';
import { freePort, killAllProcesses, portClosed } from '../helpers/processes.js';
import { httpsGet, curlWithCa, waitVerifiedHttps } from '../helpers/tls.js';
import { tlsProcessesPerTest } from '../helpers/tls-processes.js';

/**
 * The generated TLS over restarts and configurations, each test starting its own processes (the
 * basic path, HTTPS verified with the CA and an agent joining, is test/e2e/tls.test.ts).
 */
describe('HTTPS by default, with a generated cluster CA: restarts, plain HTTP, a foreign CA', () => {
  const { dir, coordinatorDir, agentDir, caFile, startCoordinator, startAgent } = tlsProcessesPerTest();

  it('keeps its CA, key and certificates across restarts and serves the same certificates again', async () => {
    const [coordinatorPort, agentPort] = [await freePort(), await freePort()];
    const coordinator = await startCoordinator(coordinatorPort);
    const ca = await readFile(caFile(), 'utf8');
    let agent = startAgent(agentPort, coordinatorPort);
    const coordinatorUrl = `https://127.0.0.1:${coordinatorPort}${routes.healthz}`;
    const agentUrl = `https://127.0.0.1:${agentPort}${routes.healthz}`;
    const before = [
      (await waitVerifiedHttps(coordinatorUrl, ca)).fingerprint,
      (await waitVerifiedHttps(agentUrl, ca)).fingerprint,
    ];
    const files = async () =>
      Promise.all(
        [join(coordinatorDir(), 'tls', 'cert.pem'), join(agentDir(), 'tls', 'cert.pem'), caFile()].map(file =>
          readFile(file, 'utf8'),
        ),
      );
    const kept = await files();

    await agent.stop();
    await coordinator.stop();
    await startCoordinator(coordinatorPort);
    agent = startAgent(agentPort, coordinatorPort);
    const after = [
      (await waitVerifiedHttps(coordinatorUrl, ca)).fingerprint,
      (await waitVerifiedHttps(agentUrl, ca)).fingerprint,
    ];

    expect(after).toEqual(before);
    expect(await files()).toEqual(kept);
    expect(agent.output()).not.toMatch(/serving the certificate the cluster CA signed/);
  });

  it('turns plain HTTP off with MODFLEET_HTTP_PORT=0 and serves it beside HTTPS when set', async () => {
    const [coordinatorPort, httpPort] = [await freePort(), await freePort()];
    await startCoordinator(coordinatorPort, { MODFLEET_HTTP_PORT: '0' });
    expect(await portClosed(httpPort)).toBe(true);
    const plain = await fetch(`http://127.0.0.1:${coordinatorPort}${routes.healthz}`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(plain).toBe('refused'); // the HTTPS port does not speak plain HTTP either
    await killAllProcesses();

    await startCoordinator(coordinatorPort, { MODFLEET_HTTP_PORT: String(httpPort) });
    const res = await fetch(`http://127.0.0.1:${httpPort}${routes.healthz}`);
    expect(res.status).toBe(200);
    expect(curlWithCa(`https://127.0.0.1:${coordinatorPort}${routes.healthz}`, caFile()).status).toBe(0);
  });

  it('never joins a coordinator whose certificate the trusted CA did not sign', async () => {
    const [coordinatorPort, agentPort] = [await freePort(), await freePort()];
    await startCoordinator(coordinatorPort);
    // The agent trusts another CA: the coordinator's certificate cannot be verified against it.
    const foreign = join(dir(), 'foreign-ca.pem');
    await writeFile(foreign, (await createClusterCa('someone else')).certPem);
    const agent = startAgent(agentPort, coordinatorPort, { MODFLEET_TLS_CA: foreign });

    await agent.waitForOutput(/registration with the coordinator failed/, 20_000);
    expect(agent.output()).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify|self.signed/i);
    const ca = await readFile(caFile(), 'utf8');
    const nodes = await httpsGet<NodeView[]>(`https://127.0.0.1:${coordinatorPort}${routes.nodes}`, {
      ca,
      credentials: FLEET_ADMIN,
    });
    expect(nodes.body).toEqual([]);
  });
});
