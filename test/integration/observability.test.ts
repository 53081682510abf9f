import { setTimeout as sleep } from 'node:timers/promises';
import { pathTo, routes } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, basicAuth, type Credentials } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';

const VIEWER: Credentials = { email: 'viewer@test.local', password: 'viewer-password-1' };

async function text(url: string, credentials?: Credentials): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(url, { headers: credentials ? { authorization: basicAuth(credentials) } : {} });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

describe('observability: /metrics and /admin/queues', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('serves Prometheus metrics without credentials on a loopback listener, with fleet and HTTP series', async () => {
    cluster = await startTestCluster({ nodes: 1 });
    const coordinator = cluster.coordinator.url;
    await cluster.agents[0]!.registered;
    const push = await api<{ action_uid: string }>(`${coordinator}${routes.fleetArtifacts}`, {
      method: 'POST',
      credentials: ADMIN,
      form: artifactForm(await buildArtifactZip()),
    });
    await waitFor(
      async () =>
        (
          await api<{ status: string }>(`${coordinator}${pathTo(routes.action, { uid: push.body.action_uid })}`, {
            credentials: ADMIN,
          })
        ).body.status === 'completed',
    );

    const coordinatorMetrics = await text(`${coordinator}${routes.metrics}`);
    const agentMetrics = await text(`${cluster.agents[0]!.url}${routes.metrics}`);

    expect(coordinatorMetrics.status).toBe(200);
    expect(coordinatorMetrics.type).toContain('text/plain');
    expect(coordinatorMetrics.body).toMatch(
      /modfleet_http_request_duration_seconds_count\{[^}]*route="\/v2\/modules\/user-defined\/artifacts"[^}]*status_code="202"/,
    );
    expect(coordinatorMetrics.body).toMatch(/modfleet_artifact_bytes_received_total\{source="upload"[^}]*\} [1-9]/);
    expect(coordinatorMetrics.body).toMatch(/modfleet_artifact_bytes_served_total\{[^}]*\} [1-9]/);
    expect(coordinatorMetrics.body).toMatch(/modfleet_queue_depth\{node="1",state="waiting"/);
    expect(coordinatorMetrics.body).toMatch(/modfleet_nodes\{status="active"[^}]*\} 1/);
    expect(coordinatorMetrics.body).toContain('process_cpu_seconds_total');
    expect(agentMetrics.body).toMatch(
      /modfleet_job_duration_seconds_count\{[^}]*op="install",outcome="completed"[^}]*\} 1/,
    );
    expect(agentMetrics.body).toMatch(/modfleet_artifact_bytes_received_total\{source="download"[^}]*\} [1-9]/);
  });

  it('labels unknown paths as unmatched instead of recording raw URLs', async () => {
    cluster = await startTestCluster({ nodes: 0 });

    await text(`${cluster.coordinator.url}${pathTo(routes.node, { uid: 12345 })}`, ADMIN);
    await text(`${cluster.coordinator.url}/no/such/path/abc`);
    const metrics = await text(`${cluster.coordinator.url}${routes.metrics}`);

    expect(metrics.body).toContain(`route="${routes.node}"`);
    expect(metrics.body).not.toContain('/no/such/path');
    expect(metrics.body).toContain('route="unmatched"');
  });

  it('requires admin credentials for /metrics when the service listens beyond loopback', async () => {
    cluster = await startTestCluster({ nodes: 0, coordinator: { host: '0.0.0.0' } });
    const url = `${cluster.coordinator.url}${routes.metrics}`;
    await api(`${cluster.coordinator.url}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...VIEWER, role: 'cluster_viewer' },
    });

    const anonymous = await text(url);
    const viewer = await text(url, VIEWER);
    const admin = await text(url, ADMIN);

    expect(anonymous.status).toBe(401);
    expect(viewer.status).toBe(403);
    expect(admin.status).toBe(200);
    expect(admin.body).toContain('modfleet_http_request_duration_seconds');
  });

  it('opens /metrics beyond loopback only when MODFLEET_METRICS_PUBLIC is set', async () => {
    cluster = await startTestCluster({ nodes: 0, coordinator: { host: '0.0.0.0', metricsPublic: true } });

    const anonymous = await text(`${cluster.coordinator.url}${routes.metrics}`);

    expect(anonymous.status).toBe(200);
  });

  it('shows bull-board with every node queue and the actions queue to admins only', async () => {
    cluster = await startTestCluster({ nodes: 2 });
    await Promise.all(cluster.agents.map(agent => agent.registered));
    const base = `${cluster.coordinator.url}${routes.queueDashboard}`;
    await api(`${cluster.coordinator.url}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...VIEWER, role: 'cluster_viewer' },
    });

    const anonymous = await text(base);
    const viewer = await text(base, VIEWER);
    const page = await text(base, ADMIN);
    const queues = await api<{ queues: { name: string }[] }>(`${base}/api/queues`, { credentials: ADMIN });
    const viewerApi = await text(`${base}/api/queues`, VIEWER);

    expect(anonymous.status).toBe(401);
    expect(viewer.status).toBe(403);
    expect(viewerApi.status).toBe(403);
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(queues.body.queues.map(queue => queue.name).sort()).toEqual(['actions', 'node-1', 'node-2']);
  });
});
