import { pathTo, routes, type BdbObject } from '@modfleet/common';
import { afterEach, describe, expect, it } from 'vitest';
import { api } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';
import { as, moduleVersion, startBdbRoutes, type BdbHarness } from './bdb-routes-harness.js';

const admin = as('admin');
let harness: BdbHarness;
afterEach(() => harness.close());

describe('what a database uses cannot be taken away', () => {
  it('refuses to delete a module object, a fleet artifact or a node a database needs, naming the database', async () => {
    harness = await startBdbRoutes({
      nodes: [
        { uid: 1, host: '127.0.0.2', artifacts: ['ft@10200', 'ft@10100'] },
        { uid: 2, host: '127.0.0.3', artifacts: ['ft@10200', 'ft@10100'] },
        { uid: 3, host: '127.0.0.4', artifacts: ['ft@10200'] },
      ],
      modules: [moduleVersion('ft', 10200), moduleVersion('ft', 10100)],
    });
    const call = (path: string, credentials = admin) => api(`${harness.url}${path}`, { method: 'DELETE', credentials });
    const created = await api<BdbObject>(`${harness.url}${routes.bdbs}`, {
      method: 'POST',
      credentials: admin,
      json: { name: 'user', memory_size: 1, replication: true, module_list: [{ module_name: 'ft' }] },
    });
    expect(created.body.uid).toBe(1);
    const [used, unused] = harness.modules;

    const moduleRefused = expectRsError(
      await call(pathTo(routes.userDefinedModule, { uid: used!.uid })),
      406,
      'module_in_use',
    );
    expect(moduleRefused.description).toMatch(/database\(s\) 1$/);
    expect((await call(pathTo(routes.userDefinedModule, { uid: unused!.uid }))).body).toEqual({ passed: true });

    const artifact = (version: number) => pathTo(routes.fleetArtifact, { moduleName: 'ft', version });
    expect(expectRsError(await call(artifact(10200)), 406, 'module_in_use').description).toMatch(/ft@10200 .* 1$/);
    expect((await call(artifact(10100))).body).toEqual({ passed: true });

    expect(expectRsError(await call(pathTo(routes.node, { uid: 1 })), 409, 'node_hosts_shards').description).toMatch(
      / 1$/,
    );
    expectRsError(await call(pathTo(routes.node, { uid: 2 })), 409, 'node_hosts_shards');
    expect((await call(pathTo(routes.node, { uid: 3 }))).body).toEqual({ passed: true });

    // Who may not delete learns nothing about databases.
    expectRsError(await call(pathTo(routes.node, { uid: 1 }), as('db_viewer')), 403, 'insufficient_permissions');
  });

  it('lets everything go once the database is deleted', async () => {
    harness = await startBdbRoutes({
      nodes: [{ uid: 1, host: '127.0.0.2', artifacts: ['ft@10200'] }],
      modules: [moduleVersion('ft', 10200)],
    });
    const created = await api<BdbObject>(`${harness.url}${routes.bdbs}`, {
      method: 'POST',
      credentials: admin,
      json: { name: 'brief', memory_size: 1, module_list: [{ module_name: 'ft' }] },
    });
    await api(`${harness.url}${pathTo(routes.bdb, { uid: created.body.uid })}`, {
      method: 'DELETE',
      credentials: admin,
    });
    expect(
      (await api(`${harness.url}${pathTo(routes.bdb, { uid: created.body.uid })}`, { credentials: admin })).status,
    ).toBe(404);
    const node = await api(`${harness.url}${pathTo(routes.node, { uid: 1 })}`, {
      method: 'DELETE',
      credentials: admin,
    });
    expect(node.body).toEqual({ passed: true });
  });
});
