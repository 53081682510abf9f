import { rm } from 'node:fs/promises';
import {
  inspectArtifact,
  moduleNameSchema,
  receiveArtifact,
  requireUploadedArtifact,
  NotFoundError,
  requirePermission,
  requireUploadsAllowed,
  routes,
  type Authenticator,
  type ClusterSettingsStore,
  type Metrics,
  type UploadedArtifact,
} from '@modfleet/common';
import { Router } from 'express';
import type { LoadChecker } from '../load-check/load-checker.js';
import type { ArtifactStore } from './artifact-store.js';
import { toListing } from './artifact-types.js';

export interface ArtifactRoutesDeps {
  auth: Authenticator;
  settings: Pick<ClusterSettingsStore, 'get'>;
  store: ArtifactStore;
  maxArtifactBytes: number;
  metrics: Metrics;
  loadChecker?: LoadChecker | undefined;
}

export function artifactRoutes({
  auth,
  settings,
  store,
  maxArtifactBytes,
  metrics,
  loadChecker,
}: ArtifactRoutesDeps): Router {
  const router = Router();

  router.get(routes.localArtifacts, requirePermission(auth, 'view_cluster_modules'), (_req, res) => {
    res.json(store.list().map(toListing));
  });

  router.post(
    routes.localArtifacts,
    requirePermission(auth, 'manage_cluster_modules'),
    requireUploadsAllowed(settings),
    ...receiveArtifact(store.tempDir, maxArtifactBytes),
    async (req, res) => {
      const upload = requireUploadedArtifact(req);
      metrics.artifactBytesReceived.inc({ source: 'upload' }, upload.size);
      try {
        const inspected = await inspectArtifact(upload.path);
        // Under enforce a failed check answers 406 invalid_module here, before anything is installed.
        const loadCheck =
          !loadChecker || store.get(inspected.manifest.module_name, inspected.manifest.version)
            ? undefined
            : await loadChecker.beforeInstall(upload.path, inspected);
        const { artifact, created } = await store.install(upload, inspected, loadCheck);
        req.log.info(
          { module_name: artifact.module_name, version: artifact.version, created },
          'artifact upload handled',
        );
        const body: UploadedArtifact = {
          ...toListing(artifact),
          sha256: artifact.sha256,
          size: artifact.size,
          ...(artifact.load_check && { load_check: artifact.load_check }),
        };
        res.json(body);
      } finally {
        await rm(upload.path, { force: true });
      }
    },
  );

  router.delete(routes.localArtifact, requirePermission(auth, 'manage_cluster_modules'), async (req, res) => {
    const { moduleName, version } = req.params as { moduleName: string; version: string };
    if (!moduleNameSchema.safeParse(moduleName).success || !/^\d{1,10}$/.test(version)) {
      throw new NotFoundError('module_artifact_not_found', `No artifact ${moduleName} version ${version} on this node`);
    }
    await store.remove(moduleName, Number(version));
    res.json({});
  });

  return router;
}
