/**
 * Identical pushes arriving at the same instant share one action: the dedupe key is claimed
 * before any record is written, and a push that finds the key held by an action whose record is
 * not written yet waits for it instead of taking the key over.
 */
import { routes, type ActionObject } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { clusterPerTest } from '../helpers/cluster-per-test.js';
import { api, artifactForm } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';

const PUSHES = 20;

describe('identical pushes at once', () => {
  const cluster = clusterPerTest({ nodes: 1 });

  it(`${PUSHES} concurrent identical pushes make one action, and every push answers its uid`, async () => {
    const zip = await buildArtifactZip({ manifest: { module_name: 'Burst', version: 1 } });
    const url = `${cluster().coordinator.url}${routes.fleetArtifacts}`;

    const answers = await Promise.all(
      Array.from({ length: PUSHES }, () =>
        api<{ action_uid: string }>(url, { method: 'POST', credentials: ADMIN, form: artifactForm(zip) }),
      ),
    );
    const actions = await api<ActionObject[]>(`${cluster().coordinator.url}${routes.actions}`, {
      credentials: ADMIN,
    });

    expect(answers.map(answer => answer.status)).toEqual(Array(PUSHES).fill(202));
    expect(new Set(answers.map(answer => answer.body.action_uid)).size).toBe(1);
    expect(actions.body.map(action => action.action_uid)).toEqual([answers[0]!.body.action_uid]);
  });
});
