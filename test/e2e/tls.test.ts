import { readFile } from 'node:fs/promises';
import { routes, type NodeView } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { FLEET_ADMIN } from '../helpers/fleet-types.js';
import { freePort } from '../helpers/processes.js';
import { pollFor } from '../helpers/poll.js';
import { curlWithCa, httpsGet, nodeFetchStatus, waitVerifiedHttps } from '../helpers/tls.js';
import { tlsProcessesPerTest } from '../helpers/tls-processes.js';

/**
 * The services' HTTPS with the certificates they generate: a cluster CA the coordinator creates
 * in its data dir, its own certificate, and each agent's, signed at registration.
 */
describe('HTTPS by default, with a generated cluster CA', () => {
  const { caFile, startCoordinator, startAgent } = tlsProcessesPerTest();

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
});
