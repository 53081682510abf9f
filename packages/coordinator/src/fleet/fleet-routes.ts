import { rm } from 'node:fs/promises';
import {
  inspectArtifact,
  jsonBody,
  moduleNameSchema,
  NotAcceptableError,
  NotFoundError,
  receiveArtifact,
  requirePermission,
  requireUploadedArtifact,
  requireUploadsAllowed,
  routes,
  validateBody,
  type ActionAccepted,
  type Authenticator,
  type ClusterSettingsStore,
  type HashedUpload,
  type Metrics,
} from '@modfleet/common';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { recordEvent } from '../audit/audit-event.js';
import type { EventLog } from '../audit/event-log.js';
import type { FleetService } from './fleet-service.js';
import { artifactRequest, displayUrl, pushFromUrlBodySchema } from './from-url/artifact-source.js';
import { createArtifactFetcher } from './from-url/fetch-artifact.js';

export interface FleetRoutesDeps {
  auth: Authenticator;
  settings: Pick<ClusterSettingsStore, 'get'>;
  fleet: FleetService;
  uploadTempDir: string;
  maxArtifactBytes: number;
  metrics: Metrics;
  events: EventLog;
  /** `MODFLEET_PUSH_URL_ALLOW`: the URL prefixes a push may fetch from (unset: any http(s) URL). */
  pushUrlAllow?: readonly string[] | undefined;
}

const isJson = (req: Request) => /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');

/** `nodes=1,3` as a multipart field or a query parameter; absent means every node. */
function requestedNodes(req: Request): number[] | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const raw = body?.nodes ?? req.query.nodes;
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\s*\d+(\s*,\s*\d+)*\s*$/.test(raw)) {
    throw new NotAcceptableError('invalid_nodes', 'nodes must be a comma-separated list of node uids, e.g. nodes=1,3');
  }
  return raw.split(',').map(Number);
}

export function fleetRoutes({
  auth,
  settings,
  fleet,
  uploadTempDir,
  maxArtifactBytes,
  metrics,
  events,
  pushUrlAllow,
}: FleetRoutesDeps): Router {
  const router = Router();
  const canManage = requirePermission(auth, 'manage_cluster_modules');
  const fetcher = createArtifactFetcher({ tempDir: uploadTempDir, maxBytes: maxArtifactBytes, allow: pushUrlAllow });

  /** The artifact is in a temp file, whichever way it came: the same checks, then the push. */
  async function acceptPush(req: Request, res: Response, upload: HashedUpload, source?: string): Promise<void> {
    try {
      const nodes = requestedNodes(req);
      const inspected = await inspectArtifact(upload.path);
      const action_uid = await fleet.push(upload, inspected, nodes, source);
      req.log.info(
        {
          action_uid,
          module_name: inspected.manifest.module_name,
          version: inspected.manifest.version,
          nodes: nodes ?? 'all',
          ...(source && { source_url: source }),
        },
        'fleet push accepted',
      );
      await recordEvent(events, req, res, 'module_artifact_push_started', {
        action_uid,
        module_name: inspected.manifest.module_name,
        version: inspected.manifest.version,
        ...(nodes && { nodes }),
        ...(source && { source_url: source }),
      });
      res.status(202).json({ action_uid } satisfies ActionAccepted);
    } finally {
      await rm(upload.path, { force: true });
    }
  }

  /** `{url, sha256?, headers?}` as JSON: the coordinator fetches the artifact itself. Headers are never logged or kept. */
  const pushFromUrl = Router().post(routes.fleetArtifacts, ...jsonBody('64kb'), async (req, res) => {
    const body = validateBody(pushFromUrlBodySchema, req.body, 'invalid_artifact_source');
    const { url, headers } = artifactRequest(body);
    const upload = await fetcher.fetch({ url, headers, sha256: body.sha256 });
    metrics.artifactBytesReceived.inc({ source: 'url' }, upload.size);
    await acceptPush(req, res, upload, displayUrl(url));
  });
  const jsonToUrlPush: RequestHandler = (req, res, next) => (isJson(req) ? pushFromUrl(req, res, next) : next());

  router.get(routes.fleetArtifacts, requirePermission(auth, 'view_cluster_modules'), async (_req, res) => {
    res.json(await fleet.view());
  });

  router.post(
    routes.fleetArtifacts,
    canManage,
    requireUploadsAllowed(settings),
    jsonToUrlPush,
    ...receiveArtifact(uploadTempDir, maxArtifactBytes),
    async (req, res) => {
      const upload = requireUploadedArtifact(req);
      metrics.artifactBytesReceived.inc({ source: 'upload' }, upload.size);
      await acceptPush(req, res, upload);
    },
  );

  router.post(routes.fleetSync, canManage, async (req, res) => {
    const action_uid = await fleet.sync();
    req.log.info({ action_uid }, 'fleet sync started');
    await recordEvent(events, req, res, 'module_artifacts_sync_started', { action_uid });
    res.status(202).json({ action_uid } satisfies ActionAccepted);
  });

  router.delete(routes.fleetArtifact, canManage, async (req, res) => {
    const { moduleName, version } = req.params as { moduleName: string; version: string };
    if (!moduleNameSchema.safeParse(moduleName).success || !/^\d{1,10}$/.test(version)) {
      throw new NotFoundError(
        'module_artifact_not_found',
        `The fleet has no artifact ${moduleName} version ${version}`,
      );
    }
    const action_uid = await fleet.remove(moduleName, Number(version));
    req.log.info({ action_uid, module_name: moduleName, version }, 'fleet delete accepted');
    await recordEvent(events, req, res, 'module_artifact_delete_started', {
      action_uid,
      module_name: moduleName,
      version: Number(version),
    });
    res.status(202).json({ action_uid } satisfies ActionAccepted);
  });

  return router;
}
