/**
 * Zips packed by RAMP (Redis's own packer, where RS's module zips come from) on every path that
 * takes a zip: a node's local upload, a fleet push, and a module object made from the zip's
 * module.json. RAMP writes `dependencies` as `{name: {url, sha256}}` and keys modfleet's own
 * `pack` does not (architecture, os, ramp_format_version…).
 */
import { pathTo, routes, type ActionObject, type ModuleObject } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { clusterPerTest } from '../helpers/cluster-per-test.js';
import { api, artifactForm } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { pollFor } from '../helpers/poll.js';
import { RAMP_DEPENDENCY_SHA256, rampManifestText } from '../helpers/ramp-manifest.js';
import { expectRsError } from '../helpers/rs-error.js';

const rampZip = (overrides: Record<string, unknown> = {}) =>
  buildArtifactZip({ manifestText: rampManifestText(overrides), soName: 'rampmod.so' });
const badDependency = { dependencies: { gears: { url: 'http://example.invalid/gears.zip', sha256: 'not-a-digest' } } };

describe('zips packed by RAMP', () => {
  const cluster = clusterPerTest();
  const agentUrl = () => cluster().agents[0]!.url;
  const coordinatorUrl = () => cluster().coordinator.url;
  const localList = () => api(`${agentUrl()}${routes.localArtifacts}`, { credentials: ADMIN });
  const post = (url: string, zip: Buffer) => api(url, { method: 'POST', credentials: ADMIN, form: artifactForm(zip) });

  it('a node takes one as an upload and lists its dependencies by name, as RS does', async () => {
    const res = await post(`${agentUrl()}${routes.localArtifacts}`, await rampZip());

    expect(res.status).toBe(200);
    expect((await localList()).body).toEqual([{ module_name: 'RampMod', version: 10203, dependencies: ['gears'] }]);
  });

  it('a fleet push of one completes on the node', async () => {
    const res = await post(`${coordinatorUrl()}${routes.fleetArtifacts}`, await rampZip());
    expect(res.status).toBe(202);
    const { action_uid } = res.body as { action_uid: string };

    const action = await pollFor(
      async () =>
        (
          await api<ActionObject>(`${coordinatorUrl()}${pathTo(routes.action, { uid: action_uid })}`, {
            credentials: ADMIN,
          })
        ).body,
      read => read.status === 'completed' || read.status === 'failed',
      'the push to finish',
      { timeoutMs: 20_000 },
    );

    expect(action.status).toBe('completed');
    expect((await localList()).body).toEqual([{ module_name: 'RampMod', version: 10203, dependencies: ['gears'] }]);
  });

  it('its module.json makes a module object keeping the dependency url and sha256 and the RS fields RAMP wrote', async () => {
    const manifest = JSON.parse(rampManifestText()) as Record<string, unknown>;

    const res = await api<ModuleObject>(`${coordinatorUrl()}${routes.userDefinedModules}`, {
      method: 'POST',
      credentials: ADMIN,
      json: manifest,
    });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      module_name: 'RampMod',
      dependencies: { gears: { url: 'http://example.invalid/gears.zip', sha256: RAMP_DEPENDENCY_SHA256 } },
      module_file: 'rampmod.so',
      author: 'RedisLabs',
      capability_name: 'Ramp test',
      compatible_redis_version: '7.4',
      sha256: 'cd'.repeat(32),
      is_bundled: false,
    });
  });

  it.each([
    ['a node upload', () => `${agentUrl()}${routes.localArtifacts}`],
    ['a fleet push', () => `${coordinatorUrl()}${routes.fleetArtifacts}`],
  ])('%s of one whose dependency sha256 is malformed is a 406 naming it, and nothing is kept', async (_label, url) => {
    const res = await post(url(), await rampZip(badDependency));

    const body = expectRsError(res, 406, 'invalid_module');
    expect(body.description).toContain('dependencies.gears.sha256');
    expect((await localList()).body).toEqual([]);
  });

  it('a module object whose dependency sha256 is malformed is a 406 naming it', async () => {
    const manifest = JSON.parse(rampManifestText(badDependency)) as Record<string, unknown>;

    const res = await api(`${coordinatorUrl()}${routes.userDefinedModules}`, {
      method: 'POST',
      credentials: ADMIN,
      json: manifest,
    });

    const body = expectRsError(res, 406, 'invalid_module');
    expect(body.description).toContain('dependencies.gears.sha256');
  });
});
