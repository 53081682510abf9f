/** What the auth bench measures: its scenarios, one autocannon run of each, and the checks made first. */
import { routes } from '@modfleet/common';
import { basicAuth } from '../../test/helpers/http.js';
import type { ServerProcess } from './auth-bench-server.js';
import { runAutocannon, type AutocannonRequest, type AutocannonResult } from './autocannon.js';
import { BENCH_ADMIN } from './util.js';

export const SEEDED_ARTIFACTS = 2;

export interface Scenario {
  key: 'trivial' | 'agentList' | 'coordinatorCreate';
  label: string;
  /** Base URL: the outer server (trivial, agent) or the coordinator's listener. */
  url: string;
  requests: AutocannonRequest[];
}

export interface Measurement {
  rps: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMicrosPerRequest: number;
  /** Cores the server process used during the run (1 = one core busy all the time). */
  serverCpuShare: number;
  /** Cores this process (autocannon) used during the run: the load generator shares the machine. */
  loadGeneratorCpuShare: number;
}

let moduleVersion = 0;

export function scenarios(server: ServerProcess): Scenario[] {
  const authorization = basicAuth(BENCH_ADMIN);
  return [
    {
      key: 'trivial',
      label: 'GET /trivial (no auth)',
      url: server.url,
      requests: [{ method: 'GET', path: '/trivial' }],
    },
    {
      key: 'agentList',
      label: `GET ${routes.localArtifacts} (agent, auth)`,
      url: server.url,
      requests: [{ method: 'GET', path: routes.localArtifacts, headers: { authorization } }],
    },
    {
      key: 'coordinatorCreate',
      label: `POST ${routes.userDefinedModules} (coordinator, auth)`,
      url: server.coordinatorUrl,
      requests: [
        {
          method: 'POST',
          path: routes.userDefinedModules,
          headers: { authorization, 'content-type': 'application/json' },
          // Every request creates a distinct module object: same name, next version.
          setupRequest: request => ({ ...request, body: JSON.stringify(moduleDefinition((moduleVersion += 1))) }),
        },
      ],
    },
  ];
}

function moduleDefinition(version: number) {
  return {
    module_name: 'BenchModule',
    version,
    semantic_version: `0.0.${version}`,
    display_name: 'Bench module',
    commands: [{ command_name: 'bench.cmd', command_arity: -1, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
    command_line_args: '',
    capabilities: ['types'],
    min_redis_version: '7.0',
  };
}

export async function measure(server: ServerProcess, scenario: Scenario, seconds: number, connections: number) {
  const cpuBefore = await server.cpuMicros();
  const ownBefore = process.cpuUsage();
  const result: AutocannonResult = await runAutocannon({
    url: scenario.url,
    connections,
    duration: seconds,
    requests: scenario.requests,
  });
  const own = process.cpuUsage(ownBefore);
  const cpuAfter = await server.cpuMicros();
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${scenario.label}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts ` +
        `(status counts ${JSON.stringify(result.statusCodeStats)}): the run is invalid`,
    );
  }
  const requests = result.requests.total;
  const measurement: Measurement = {
    rps: requests / result.duration,
    requests,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    serverCpuMicrosPerRequest: (cpuAfter - cpuBefore) / requests,
    serverCpuShare: (cpuAfter - cpuBefore) / 1e6 / result.duration,
    loadGeneratorCpuShare: (own.user + own.system) / 1e6 / result.duration,
  };
  return measurement;
}

async function expectStatus(url: string, init: RequestInit, status: number, what: string): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Proves the routes do what is measured before measuring them. */
export async function sanityChecks({ url, coordinatorUrl }: ServerProcess): Promise<void> {
  const authorization = basicAuth(BENCH_ADMIN);
  await expectStatus(`${url}/trivial`, {}, 200, 'GET /trivial');
  await expectStatus(`${url}${routes.localArtifacts}`, {}, 401, 'GET artifacts without credentials');
  const listing = await expectStatus(
    `${url}${routes.localArtifacts}`,
    { headers: { authorization } },
    200,
    'GET artifacts',
  );
  if (!Array.isArray(listing) || listing.length !== SEEDED_ARTIFACTS) {
    throw new Error(`expected ${SEEDED_ARTIFACTS} artifacts, got ${JSON.stringify(listing)}`);
  }
  await expectStatus(
    `${coordinatorUrl}${routes.userDefinedModules}`,
    {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(moduleDefinition((moduleVersion += 1))),
    },
    200,
    'POST module',
  );
}
