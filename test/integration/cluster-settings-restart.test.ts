import { createLogger, routes } from '@modfleet/common';
import { startCoordinator } from '@modfleet/coordinator';
import { describe, expect, it } from 'vitest';
import { clusterPerTest } from '../helpers/cluster-per-test.js';
import { api } from '../helpers/http.js';
import { ADMIN, coordinatorConfig } from '../helpers/in-process-cluster.js';

interface ClusterSettings {
  allow_modules_upload: boolean;
}

/** The settings live in the CCS on Redis: the route tests run on fakes (test/routes/coordinator-cluster.test.ts). */
describe('cluster settings (/v1/cluster) by an admin', () => {
  const own = clusterPerTest({ nodes: 0 });

  it('keeps the setting for a coordinator started later on the same Redis', async () => {
    await api(`${own().coordinator.url}${routes.cluster}`, {
      method: 'PUT',
      credentials: ADMIN,
      json: { allow_modules_upload: false },
    });
    await own().coordinator.stop(1_000);
    const restarted = await startCoordinator(
      coordinatorConfig(own().prefix, own().dataDir),
      createLogger({ name: 'coordinator', level: 'silent' }),
    );

    try {
      const res = await api<ClusterSettings>(`${restarted.httpUrl!}${routes.cluster}`, { credentials: ADMIN });

      expect(res.body.allow_modules_upload).toBe(false);
    } finally {
      await restarted.stop(1_000);
    }
  });
});
