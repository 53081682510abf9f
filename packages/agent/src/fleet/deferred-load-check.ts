import type { ActionStore, ArtifactJob, InspectedArtifact, LoadCheck, Logger, SourceUse } from '@modfleet/common';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { LoadChecker } from '../load-check/load-checker.js';
import { recordOp } from './op-recorder.js';

/** What an op shows under `module_load_check: warn` between its install and its check's end. */
export function pendingLoadCheck(): LoadCheck {
  return {
    status: 'pending',
    reason: 'runs after the install (module_load_check is warn)',
    checked_at: now(),
  };
}

const now = () => new Date().toISOString();

export interface DeferredCheckDeps {
  store: ArtifactStore;
  loadChecker: LoadChecker;
  actions: Pick<ActionStore, 'recordOp'>;
  logger: Logger;
}

/**
 * Under `warn` a failed check installs anyway, so the op need not wait for it: the node moves
 * on (to relay or install the next artifact) and the check runs on the installed copy, its result
 * written into the artifact's metadata and onto the completed op when it ends. Never throws.
 */
export async function finishDeferredCheck(
  { store, loadChecker, actions, logger }: DeferredCheckDeps,
  job: ArtifactJob,
  inspected: InspectedArtifact,
  op: { attempts: number; sources?: SourceUse[] | undefined },
): Promise<void> {
  const { module_name, version, sha256 } = job;
  let check: LoadCheck;
  try {
    check = await loadChecker.check(store.zipPath(module_name, version), inspected, 'warn');
  } catch (err) {
    // Deleted before its check ran, most likely: the op must not stay pending for ever.
    check = { status: 'skipped', reason: `the check could not run: ${(err as Error).message}`, checked_at: now() };
  }
  try {
    // Kept only while the node holds those bytes; the op gets the result either way.
    if (sha256)
      await store
        .setLoadCheck(module_name, version, sha256, check)
        .catch((err: unknown) => logger.warn({ err }, 'could not keep the load check in artifact.json'));
    await recordOp(actions, job, {
      status: 'completed',
      progress: 100,
      attempts: op.attempts,
      load_check: check,
      ...(op.sources && { sources: op.sources }),
    });
  } catch (err) {
    logger.warn({ err, module_name, version }, 'the load check after the install could not be recorded');
  }
}
