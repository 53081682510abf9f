import { pathTo, routes, signRequest, SIGNATURE_HEADER } from '@modfleet/common';
import { buildArtifactZip } from './artifact-zip.js';
import { artifactForm, basicAuth, type Credentials } from './http.js';

export interface SampledAnswer {
  route: string;
  /** 0: no answer within the deadline (hung) or the connection failed. */
  status: number;
  body: unknown;
  error?: string;
}

interface Probe {
  method: string;
  path: string;
  body?: () => string | FormData | Promise<FormData>;
  signed?: boolean;
}

/**
 * Well-formed requests, so that a route whose auth and settings come from a warm cache still has
 * to reach Redis: a malformed body may rightly be refused (400, 415) before any store is read.
 */
const validZipForm = async () =>
  artifactForm(await buildArtifactZip({ manifest: { module_name: 'Probe', version: 1 } }));
const moduleDefinition = () =>
  JSON.stringify({
    module_name: 'Probe',
    version: 1,
    semantic_version: '0.0.1',
    display_name: 'probe',
    commands: [],
    command_line_args: '',
    capabilities: [],
    min_redis_version: '6.0',
  });

const zipForm = () => {
  const form = new FormData();
  form.append('module', new Blob([Buffer.from('PK\u0003\u0004 not a real zip')], { type: 'application/zip' }), 'm.zip');
  return form;
};

/** One request of every route group of the coordinator (reads, writes, uploads, signed internal routes). */
export const COORDINATOR_PROBES: Probe[] = [
  { method: 'GET', path: routes.cluster },
  { method: 'PUT', path: routes.cluster, body: () => JSON.stringify({ name: 'x' }) },
  { method: 'GET', path: routes.users },
  { method: 'GET', path: pathTo(routes.user, { uid: 1 }) },
  {
    method: 'POST',
    path: routes.users,
    body: () => JSON.stringify({ email: 'probe@example.com', password: 'probe-password-1', role: 'admin' }),
  },
  { method: 'GET', path: routes.nodes },
  { method: 'GET', path: pathTo(routes.node, { uid: 1 }) },
  { method: 'GET', path: routes.modules },
  { method: 'POST', path: routes.userDefinedModules, body: moduleDefinition },
  { method: 'DELETE', path: pathTo(routes.userDefinedModule, { uid: 'x' }) },
  { method: 'GET', path: routes.actions },
  { method: 'GET', path: pathTo(routes.action, { uid: 'x' }) },
  { method: 'GET', path: routes.fleetArtifacts },
  { method: 'POST', path: routes.fleetArtifacts, body: validZipForm },
  { method: 'DELETE', path: pathTo(routes.fleetArtifact, { moduleName: 'M', version: 1 }) },
  { method: 'POST', path: routes.fleetSync, body: () => JSON.stringify({}) },
  {
    method: 'POST',
    path: routes.nodeRegister,
    body: () => JSON.stringify({ addr: 'http://127.0.0.1:1', instance_id: 'probe-instance-id' }),
    signed: true,
  },
  { method: 'GET', path: routes.queueDashboard },
];

/** One request of every route group of an agent. */
export const AGENT_PROBES: Probe[] = [
  { method: 'GET', path: routes.localArtifacts },
  { method: 'GET', path: routes.localInventory },
  { method: 'POST', path: routes.localArtifacts, body: zipForm },
  { method: 'DELETE', path: pathTo(routes.localArtifact, { moduleName: 'M', version: 1 }) },
];

/** Sends every probe at once, each with its own deadline; a probe that does not answer in time reads status 0. */
export async function sampleRoutes(
  base: string,
  probes: Probe[],
  options: { credentials: Credentials; clusterSecret: string; deadlineMs: number },
): Promise<SampledAnswer[]> {
  return Promise.all(
    probes.map(async probe => {
      const route = `${probe.method} ${probe.path}`;
      const body = await probe.body?.();
      const headers: Record<string, string> = { authorization: basicAuth(options.credentials) };
      if (typeof body === 'string') headers['content-type'] = 'application/json';
      if (probe.signed) {
        const signedBody = typeof body === 'string' ? body : '';
        headers[SIGNATURE_HEADER] = signRequest(options.clusterSecret, probe.method, probe.path, signedBody);
      }
      try {
        const res = await fetch(`${base}${probe.path}`, {
          method: probe.method,
          headers,
          ...(body !== undefined && { body }),
          signal: AbortSignal.timeout(options.deadlineMs),
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: kept as text for the failure message
        }
        return { route, status: res.status, body: parsed };
      } catch (err) {
        return { route, status: 0, body: undefined, error: (err as Error).message };
      }
    }),
  );
}
