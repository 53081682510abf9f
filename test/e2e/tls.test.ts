import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClusterCa, routes, type NodeView } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLEET_ADMIN, FLEET_SECRET } from '../helpers/fleet-types.js';
import {
  freePort,
  killAllProcesses,
  portClosed,
  runModfleet,
  type Env,
  type ModfleetProcess,
} from '../helpers/processes.js';
import { pollFor } from '../helpers/poll.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import { curlWithCa, httpsGet, nodeFetchStatus, waitVerifiedHttps } from '../helpers/tls.js';

/**
 * The services' HTTPS with the certificates they generate: a cluster CA the coordinator creates
 * in its data dir, its own certificate, and each agent's, signed at registration.
 */
describe('HTTPS by default, with a generated cluster CA', () => {
  let prefix: string;
  let dir: string;
  let shared: Env;

  beforeEach(async () => {
    prefix = uniquePrefix('tls');
    dir = await makeTmpDir('modfleet-tls');
    shared = { REDIS_URL, MODFLEET_PREFIX: prefix, MODFLEET_CLUSTER_SECRET: FLEET_SECRET, LOG_LEVEL: 'info' };
  });
  afterEach(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dir);
  });

  const coordinatorDir = () => join(dir, 'coordinator');
  const agentDir = () => join(dir, 'agent');
  const caFile = () => join(coordinatorDir(), 'tls', 'ca.pem');

  async function startCoordinator(port: number, env: Env = {}): Promise<ModfleetProcess> {
    const coordinator = runModfleet(['coordinator'], {
      ...shared,
      MODFLEET_PORT: String(port),
      MODFLEET_DATA_DIR: coordinatorDir(),
      MODFLEET_ADMIN_EMAIL: FLEET_ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: FLEET_ADMIN.password,
      ...env,
    });
    await coordinator.waitForOutput(/coordinator listening/, 20_000);
    return coordinator;
  }

  function startAgent(port: number, coordinatorPort: number, env: Env = {}): ModfleetProcess {
    return runModfleet(['agent'], {
      ...shared,
      MODFLEET_PORT: String(port),
      MODFLEET_DATA_DIR: agentDir(),
      MODFLEET_COORDINATOR_URL: `https://127.0.0.1:${coordinatorPort}`,
      ...env,
    });
  }

  it('serves HTTPS that curl --cacert and Node fetch verify with the CA, and the agent joins over verified HTTPS', async () => {
    const [coordinatorPort, agentPort] = [await freePort(), await freePort()];
    await startCoordinator(coordinatorPort);
    const ca = await readFile(caFile(), 'utf8');
    const coordinatorUrl = `https://127.0.0.1:${coordinatorPort}`;

    const curl = curlWithCa(`${coordinatorUrl}${routes.healthz}`, caFile());
    expect(curl.status, curl.stderr).toBe(0);
    expect(JSON.parse(curl.stdout)).toMatchObject({ status: 'ok' });
    expect(nodeFetchStatus(`${coordinatorUrl}${routes.healthz}`, caFile())).toBe(0);
    // Without the CA nothing trusts it: the certificate really is the cluster's own.
    expect(nodeFetchStatus(`${coordinatorUrl}${routes.healthz}`, undefined)).toBe(4);

    startAgent(agentPort, coordinatorPort);
    const agentUrl = `https://127.0.0.1:${agentPort}`;
    await waitVerifiedHttps(`${agentUrl}${routes.healthz}`, ca);
    expect(curlWithCa(`${agentUrl}${routes.healthz}`, caFile()).status).toBe(0);
    const nodes = await pollFor(
      () => httpsGet<NodeView[]>(`${coordinatorUrl}${routes.nodes}`, { ca, credentials: FLEET_ADMIN }),
      answer => answer.body.length === 1 && answer.body[0]!.status === 'active',
      'the agent listed active',
    );
    // Served on another port than the coordinator's, the node is known by its whole URL.
    expect(nodes.body[0]).toMatchObject({ addr: agentUrl, url: agentUrl });
  });

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
    const foreign = join(dir, 'foreign-ca.pem');
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
