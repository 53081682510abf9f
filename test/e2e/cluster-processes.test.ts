import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathTo, routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import {
  FLEET_ADMIN,
  startFleetCluster,
  type FleetAgent,
  type FleetCluster,
  type FleetCoordinator,
} from '../helpers/fleet-cluster.js';
import { waitUntil } from '../helpers/processes.js';

const ADMIN = FLEET_ADMIN;

/** The body RS documents for POST /v2/modules/user-defined: all eight fields. */
const moduleDefinition = {
  module_name: 'TestModule',
  version: 123,
  semantic_version: '0.0.123',
  display_name: 'Test Module',
  commands: [{ command_name: 'test.cmd', command_arity: -1, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
  command_line_args: '',
  capabilities: ['types'],
  min_redis_version: '7.0',
};
const listing = { module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] };

describe('coordinator and two agents as real processes', () => {
  let cluster: FleetCluster;
  let coordinator: FleetCoordinator;
  let agents: FleetAgent[];

  // One fleet for the three tests: each leaves the agents' stores and the users as it found them
  // (the first ends with every artifact and the CCS object deleted), and starting processes is slow.
  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2 });
    ({ coordinator, agents } = cluster);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs the RS sequence: CCS object on the coordinator, the artifact on every node, then both deletes', async () => {
    const zip = await buildArtifactZip();

    const created = await api<{ uid: string; module_name: string; version: number }>(
      `${coordinator.url}${routes.userDefinedModules}`,
      { method: 'POST', credentials: ADMIN, json: moduleDefinition },
    );
    expect(created.status).toBe(200);
    expect(created.body.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(created.body).toMatchObject({ module_name: 'TestModule', version: 123 });
    const uid = created.body.uid;
    expect((await api(`${coordinator.url}${pathTo(routes.module, { uid })}`, { credentials: ADMIN })).status).toBe(200);

    for (const agent of agents) {
      const upload = await api(`${agent.url}${routes.localArtifacts}`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(upload.status, `upload to ${agent.url}`).toBe(200);
      expect(upload.body).toMatchObject(listing);
      // RS: re-uploading identical bytes is a no-op 200
      const again = await api(`${agent.url}${routes.localArtifacts}`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(again.status).toBe(200);
    }
    for (const agent of agents) {
      const list = await api(`${agent.url}${routes.localArtifacts}`, { credentials: ADMIN });
      expect(list.status).toBe(200);
      expect(list.body).toEqual([listing]);
    }

    for (const agent of agents) {
      const removed = await api(
        `${agent.url}${pathTo(routes.localArtifact, { moduleName: 'TestModule', version: 123 })}`,
        {
          method: 'DELETE',
          credentials: ADMIN,
        },
      );
      expect(removed.status).toBe(200);
      expect((await api(`${agent.url}${routes.localArtifacts}`, { credentials: ADMIN })).body).toEqual([]);
      const twice = await api(
        `${agent.url}${pathTo(routes.localArtifact, { moduleName: 'TestModule', version: 123 })}`,
        {
          method: 'DELETE',
          credentials: ADMIN,
        },
      );
      expect(twice.status).toBe(404);
    }

    // Deleting the artifacts left the CCS object alone; now delete it too.
    expect((await api(`${coordinator.url}${pathTo(routes.module, { uid })}`, { credentials: ADMIN })).status).toBe(200);
    const deleted = await api(`${coordinator.url}${pathTo(routes.userDefinedModule, { uid })}`, {
      method: 'DELETE',
      credentials: ADMIN,
    });
    expect(deleted.status).toBe(200);
    expect((await api(`${coordinator.url}${pathTo(routes.module, { uid })}`, { credentials: ADMIN })).status).toBe(404);
    expect((await api(`${coordinator.url}${routes.modules}`, { credentials: ADMIN })).body).toEqual([]);
    const missing = await api(`${coordinator.url}${pathTo(routes.userDefinedModule, { uid })}`, {
      method: 'DELETE',
      credentials: ADMIN,
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error_code: 'module_delete_failed' });
  });

  it('lets a user created on the coordinator authenticate on both agents, and forgets it once deleted', async () => {
    const viewer: Credentials = { email: 'viewer@e2e.local', password: 'viewer-password-1' };
    const created = await api<Record<string, unknown>>(`${coordinator.url}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...viewer, role: 'db_viewer', name: 'Viewer' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ email: viewer.email, role: 'db_viewer' });
    expect(JSON.stringify(created.body)).not.toMatch(/password_hash|viewer-password-1/);

    for (const agent of agents) {
      const list = await api(`${agent.url}${routes.localArtifacts}`, { credentials: viewer });
      expect(list.status, `list on ${agent.url}`).toBe(200);
      // db_viewer may look but not manage
      const upload = await api(`${agent.url}${routes.localArtifacts}`, {
        method: 'POST',
        credentials: viewer,
        form: artifactForm(await buildArtifactZip()),
      });
      expect(upload.status).toBe(403);
      const wrong = await api(`${agent.url}${routes.localArtifacts}`, {
        credentials: { ...viewer, password: 'not-the-password' },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    }

    // Agents cache verified credentials; deleting the user on the coordinator must reach them.
    const uid = (created.body as { uid: number }).uid;
    const deleted = await api(`${coordinator.url}${pathTo(routes.user, { uid })}`, {
      method: 'DELETE',
      credentials: ADMIN,
    });
    expect(deleted.status).toBe(200);
    for (const agent of agents) {
      await waitUntil(
        async () => (await api(`${agent.url}${routes.localArtifacts}`, { credentials: viewer })).status === 401,
        `deleted user still accepted by ${agent.url}`,
        5_000,
      );
    }
  });

  it('keeps a store per node: an upload to one agent is not listed by the other', async () => {
    const [first, second] = agents as [FleetAgent, FleetAgent];
    const onlyFirst = await buildArtifactZip({ manifest: { module_name: 'OnlyOnFirst', version: 1 } });
    const onlySecond = await buildArtifactZip({ manifest: { module_name: 'OnlyOnSecond', version: 2 } });

    expect(
      (
        await api(`${first.url}${routes.localArtifacts}`, {
          method: 'POST',
          credentials: ADMIN,
          form: artifactForm(onlyFirst),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await api(`${second.url}${routes.localArtifacts}`, {
          method: 'POST',
          credentials: ADMIN,
          form: artifactForm(onlySecond),
        })
      ).status,
    ).toBe(200);

    const firstList = await api<{ module_name: string }[]>(`${first.url}${routes.localArtifacts}`, {
      credentials: ADMIN,
    });
    const secondList = await api<{ module_name: string }[]>(`${second.url}${routes.localArtifacts}`, {
      credentials: ADMIN,
    });
    expect(firstList.body.map(a => a.module_name)).toEqual(['OnlyOnFirst']);
    expect(secondList.body.map(a => a.module_name)).toEqual(['OnlyOnSecond']);

    // Each agent writes under its own data dir only.
    await expect(stat(join(first.dataDir, 'artifacts', 'OnlyOnFirst@1'))).resolves.toBeTruthy();
    await expect(stat(join(second.dataDir, 'artifacts', 'OnlyOnFirst@1'))).rejects.toThrow(/ENOENT/);

    // Deleting on the node that does not have it is a 404 and leaves the other node alone.
    const wrongNode = await api(
      `${second.url}${pathTo(routes.localArtifact, { moduleName: 'OnlyOnFirst', version: 1 })}`,
      {
        method: 'DELETE',
        credentials: ADMIN,
      },
    );
    expect(wrongNode.status).toBe(404);
    expect((await api(`${first.url}${routes.localArtifacts}`, { credentials: ADMIN })).body).toHaveLength(1);
  });
});
