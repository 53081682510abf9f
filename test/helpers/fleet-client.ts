import { pathTo, routes, type ActionObject, type FleetArtifactView, type NodeView } from '@modfleet/common';
import { readerOf, waitForActionEnd } from './action-wait.js';
import { FLEET_ADMIN, type CallOptions, type FleetAgent, type FleetClient, type LocalListing } from './fleet-types.js';
import { api, artifactForm, type ApiResponse } from './http.js';
import { pollFor } from './poll.js';

const STARTUP_TIMEOUT_MS = 20_000;

/** A request to `base` + `path`, as the fleet admin unless told otherwise. */
export function fleetCall<T>(base: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const credentials = opts.credentials === null ? undefined : (opts.credentials ?? FLEET_ADMIN);
  return api<T>(`${base}${path}`, {
    ...(opts.method && { method: opts.method }),
    ...(credentials && { credentials }),
    ...(opts.json !== undefined && { json: opts.json }),
    ...(opts.form && { form: opts.form }),
  });
}

function ok<T>(res: ApiResponse<T>, what: string): T {
  if (res.status !== 200) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The HTTP client of a fleet whose coordinator is at `coordinatorUrl`; `runningUids` names the agents expected up. */
export function createFleetClient(coordinatorUrl: string, runningUids: () => number[]): FleetClient {
  const client: FleetClient = {
    api: (path, opts) => fleetCall(coordinatorUrl, path, opts),
    agentApi: (agent, path, opts) => fleetCall(agent.url, path, opts),
    push(zip, { nodes, credentials } = {}) {
      let form: FormData;
      if (zip instanceof FormData) {
        form = zip;
      } else {
        form = new FormData();
        if (nodes !== undefined) form.append('nodes', nodes);
        for (const [name, value] of artifactForm(zip)) form.append(name, value);
      }
      return fleetCall(coordinatorUrl, routes.fleetArtifacts, {
        method: 'POST',
        form,
        ...(credentials !== undefined && { credentials }),
      });
    },
    async action(uid) {
      const path = pathTo(routes.action, { uid });
      return ok(await fleetCall<ActionObject>(coordinatorUrl, path), `GET ${path}`);
    },
    waitForAction(uid, { done, ...wait } = {}) {
      return waitForActionEnd(
        readerOf(path => fleetCall(coordinatorUrl, path)),
        uid,
        { ...wait, until: done },
      );
    },
    async actions() {
      return ok(await fleetCall<ActionObject[]>(coordinatorUrl, routes.actions), `GET ${routes.actions}`);
    },
    async fleetView() {
      return ok(
        await fleetCall<FleetArtifactView[]>(coordinatorUrl, routes.fleetArtifacts),
        `GET ${routes.fleetArtifacts}`,
      );
    },
    waitForFleetView(check, message, wait) {
      return pollFor(() => client.fleetView(), check, message, { timeoutMs: 10_000, ...wait });
    },
    async nodes() {
      return ok(await fleetCall<NodeView[]>(coordinatorUrl, routes.nodes), `GET ${routes.nodes}`);
    },
    waitForNodes(uids, wait) {
      const expected = [...(uids ?? runningUids())].sort((a, b) => a - b);
      return pollFor(
        () => client.nodes(),
        nodes =>
          JSON.stringify(nodes.map(node => node.uid)) === JSON.stringify(expected) &&
          nodes.every(node => node.status === 'active'),
        `nodes ${expected.join(',')} all active`,
        { timeoutMs: STARTUP_TIMEOUT_MS, ...wait },
      );
    },
    async localArtifacts(agent: FleetAgent) {
      return ok(
        await fleetCall<LocalListing[]>(agent.url, routes.localArtifacts),
        `GET ${agent.url}${routes.localArtifacts}`,
      );
    },
  };
  return client;
}
