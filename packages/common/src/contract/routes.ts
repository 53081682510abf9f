// Every HTTP path modfleet serves, in one place: the services mount these templates, and the CLI,
// the status page, tests and benches build their URLs from them. This file runs in the browser as
// it is compiled (the coordinator serves it beside the status page), so it imports nothing.

/** Route templates in Express syntax: `:name` marks a path parameter. */
export const routes = {
  healthz: '/healthz',
  metrics: '/metrics',

  // RS CCS routes (coordinator)
  cluster: '/v1/cluster',
  users: '/v1/users',
  user: '/v1/users/:uid',
  nodes: '/v1/nodes',
  node: '/v1/nodes/:uid',
  modules: '/v1/modules',
  module: '/v1/modules/:uid',
  userDefinedModules: '/v2/modules/user-defined',
  userDefinedModule: '/v2/modules/user-defined/:uid',
  actions: '/v2/actions',
  action: '/v2/actions/:uid',

  // RS local artifact routes (agent)
  localArtifacts: '/v2/local/modules/user-defined/artifacts',
  localArtifact: '/v2/local/modules/user-defined/artifacts/:moduleName/:version',
  // modfleet's own beside them: per-artifact sha256 and size, ?deep=true re-hashes the disk
  localInventory: '/v2/local/modules/user-defined/artifacts/inventory',

  // modfleet's fleet routes (coordinator)
  fleetArtifacts: '/v2/modules/user-defined/artifacts',
  fleetArtifact: '/v2/modules/user-defined/artifacts/:moduleName/:version',
  fleetSync: '/v2/modules/user-defined/artifacts/sync',

  // Between the services, signed with the cluster secret (coordinator)
  nodeRegister: '/internal/nodes/register',
  blob: '/internal/blobs/:sha256',
  // the piece list of a blob whose list is too long for a job payload
  blobPieces: '/internal/blobs/:sha256/pieces',

  // Between agents, signed with the cluster secret (agent): a verified artifact by its sha256
  peerBlob: '/internal/peer/blobs/:sha256',

  // bull-board, for admins (coordinator)
  queueDashboard: '/admin/queues',

  // RS databases and the v1 actions (coordinator)
  bdbs: '/v1/bdbs',
  bdb: '/v1/bdbs/:uid',
  bdbShards: '/v1/bdbs/:uid/shards',
  bdbUpgrade: '/v1/bdbs/:uid/upgrade',
  // RS's deprecated module upgrade route, mapped onto the bdb upgrade
  moduleUpgradeBdb: '/v1/modules/upgrade/bdb/:uid',
  v1Actions: '/v1/actions',
  v1Action: '/v1/actions/:uid',

  // RS's cluster event log (coordinator): who changed what, from where
  logs: '/v1/logs',
} as const;

export type Routes = typeof routes;
export type RouteTemplate = Routes[keyof Routes];

/** `'/v2/actions/:uid'` → `'uid'`; `'/a/:x/:y'` → `'x' | 'y'`. */
export type RouteParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | RouteParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

export type RouteParams<P extends string> = { [Name in RouteParamNames<P>]: string | number };

/**
 * A concrete path from a template, each parameter URI-encoded:
 * `pathTo(routes.fleetArtifact, { moduleName: 'ReJSON', version: 20804 })`. The compiler refuses a
 * missing or misspelt parameter.
 */
export function pathTo<P extends RouteTemplate>(template: P, params: RouteParams<P>): string {
  const values = params as Record<string, string | number>;
  return template.replace(/:(\w+)/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`pathTo(${template}): no value for :${name}`);
    return encodeURIComponent(String(value));
  });
}
