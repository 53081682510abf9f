import { describe, expect, expectTypeOf, it } from 'vitest';
import { pathTo, routes, type RouteParamNames, type RouteParams } from './routes.js';

describe('the HTTP contract', () => {
  it('keeps every RS path exactly as RS documents it, and modfleet’s own beside them', () => {
    // A change here changes what RS clients call: it must be deliberate.
    expect(routes).toEqual({
      healthz: '/healthz',
      metrics: '/metrics',
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
      localArtifacts: '/v2/local/modules/user-defined/artifacts',
      localArtifact: '/v2/local/modules/user-defined/artifacts/:moduleName/:version',
      localInventory: '/v2/local/modules/user-defined/artifacts/inventory',
      fleetArtifacts: '/v2/modules/user-defined/artifacts',
      fleetArtifact: '/v2/modules/user-defined/artifacts/:moduleName/:version',
      fleetSync: '/v2/modules/user-defined/artifacts/sync',
      nodeRegister: '/internal/nodes/register',
      blob: '/internal/blobs/:sha256',
      blobPieces: '/internal/blobs/:sha256/pieces',
      peerBlob: '/internal/peer/blobs/:sha256',
      queueDashboard: '/admin/queues',
      bdbs: '/v1/bdbs',
      bdb: '/v1/bdbs/:uid',
      bdbShards: '/v1/bdbs/:uid/shards',
      bdbUpgrade: '/v1/bdbs/:uid/upgrade',
      moduleUpgradeBdb: '/v1/modules/upgrade/bdb/:uid',
      v1Actions: '/v1/actions',
      v1Action: '/v1/actions/:uid',
      logs: '/v1/logs',
    });
  });

  it('fills every parameter of a template, digits in its name included', () => {
    const sha256 = 'ab'.repeat(32);

    expect(pathTo(routes.fleetArtifact, { moduleName: 'ReJSON', version: 20804 })).toBe(
      '/v2/modules/user-defined/artifacts/ReJSON/20804',
    );
    expect(pathTo(routes.blob, { sha256 })).toBe(`/internal/blobs/${sha256}`);
    expect(pathTo(routes.blobPieces, { sha256 })).toBe(`/internal/blobs/${sha256}/pieces`);
    expect(pathTo(routes.peerBlob, { sha256 })).toBe(`/internal/peer/blobs/${sha256}`);
    expect(pathTo(routes.action, { uid: 'a1' })).toBe('/v2/actions/a1');
  });

  it('types the parameters from the template, so the compiler refuses a missing or misspelt one', () => {
    expectTypeOf<RouteParams<typeof routes.fleetArtifact>>().toEqualTypeOf<{
      moduleName: string | number;
      version: string | number;
    }>();
    expectTypeOf<RouteParams<typeof routes.blob>>().toEqualTypeOf<{ sha256: string | number }>();
    expectTypeOf<RouteParamNames<typeof routes.nodes>>().toEqualTypeOf<never>();
  });

  it('URI-encodes values, so a uid can never add a path segment', () => {
    expect(pathTo(routes.user, { uid: '../cluster' })).toBe('/v1/users/..%2Fcluster');
    expect(pathTo(routes.localArtifact, { moduleName: 'a b', version: 1 })).toBe(
      '/v2/local/modules/user-defined/artifacts/a%20b/1',
    );
  });

  it('refuses to build a path with a parameter missing', () => {
    const params = {} as { uid: string };

    expect(() => pathTo(routes.node, params)).toThrow(/no value for :uid/);
  });
});
