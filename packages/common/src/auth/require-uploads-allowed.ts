import type { RequestHandler } from 'express';
import type { ClusterSettingsStore } from '../cluster-settings/cluster-settings-store.js';
import { ForbiddenError } from '../errors.js';

/** RS 8.2: with `allow_modules_upload` off, module uploads answer 403 whatever the caller's role. */
export function requireUploadsAllowed(settings: Pick<ClusterSettingsStore, 'get'>): RequestHandler {
  return async (_req, _res, next) => {
    const { allow_modules_upload } = await settings.get();
    if (!allow_modules_upload) {
      throw new ForbiddenError(
        'modules_upload_disabled',
        'Module upload is disabled on this cluster (allow_modules_upload is false)',
      );
    }
    next();
  };
}
