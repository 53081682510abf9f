import { rm } from 'node:fs/promises';
import {
  inspectArtifact,
  moduleNameSchema,
  receiveArtifact,
  requireUploadedArtifact,
  NotFoundError,
  requirePermission,
  requireUploadsAllowed,
  type Authenticator,
  type ClusterSettingsStore,
  type Metrics,
} from '@modfleet/common';
import { Router } from 'express';
import type { ArtifactStore } from './artifact-store.js';
import { toListing } from './artifact-types.js';

export const LOCAL_ARTIFACTS_PATH = '/v2/local/modules/user-defined/artifacts';

export interface ArtifactRoutesDeps {
  auth: Authenticator;
  settings: Pick<ClusterSettingsStore, 'get'>;
  store: ArtifactStore;
  maxArtifactBytes: number;
  metrics: Metrics;
}

export function artifactRoutes({ auth, settings, store, maxArtifactBytes, metrics }: ArtifactRoutesDeps): Router {
  const router = Router();

  router.get(LOCAL_ARTIFACTS_PATH, requirePermission(auth, 'view_cluster_modules'), (_req, res) => {
    res.json(store.list().map(toListing));
  });

  router.post(
    LOCAL_ARTIFACTS_PATH,
    requirePermission(auth, 'manage_cluster_modules'),
    requireUploadsAllowed(settings),
    ...receiveArtifact(store.tempDir, maxArtifactBytes),
    async (req, res) => {
      const upload = requireUploadedArtifact(req);
      metrics.artifactBytesReceived.inc({ source: 'upload' }, upload.size);
      try {
        const inspected = await inspectArtifact(upload.path);
        const { artifact, created } = await store.install(upload, inspected);
        req.log.info(
          { module_name: artifact.module_name, version: artifact.version, created },
          'artifact upload handled',
        );
        res.json({ ...toListing(artifact), sha256: artifact.sha256, size: artifact.size });
      } finally {
        await rm(upload.path, { force: true });
      }
    },
  );

  router.delete(
    `${LOCAL_ARTIFACTS_PATH}/:moduleName/:version`,
    requirePermission(auth, 'manage_cluster_modules'),
    async (req, res) => {
      const { moduleName, version } = req.params as { moduleName: string; version: string };
      if (!moduleNameSchema.safeParse(moduleName).success || !/^\d{1,10}$/.test(version)) {
        throw new NotFoundError(
          'module_artifact_not_found',
          `No artifact ${moduleName} version ${version} on this node`,
        );
      }
      await store.remove(moduleName, Number(version));
      res.json({});
    },
  );

  return router;
}
