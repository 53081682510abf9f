import { setTimeout as sleep } from 'node:timers/promises';
import type { ActionStore, ArtifactJob, InspectedArtifact, LoadCheck, Logger } from '@modfleet/common';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { LoadChecker } from '../load-check/load-checker.js';

/** What an op shows under `module_load_check: warn` between its install and its check's end. */
export function pendingLoadCheck(): LoadCheck {
  return {
    status: 'pending',
    reason: 'runs after the install (module_load_check is warn)',
    checked_at: now(),
  };
}

const now = () => new Date().toISOString();
/** How long a check's result is retried while Redis refuses writes (a Sentinel failover takes seconds). */
const RECORD_FOR_MS = 120_000;
const MAX_RETRY_WAIT_MS = 5_000;

export interface DeferredCheckDeps {
  store: ArtifactStore;
  loadChecker: LoadChecker;
  actions: Pick<ActionStore, 'attachLoadCheck'>;
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
): Promise<void> {
  const { module_name, version, sha256 } = job;
  const giveUpAt = Date.now() + RECORD_FOR_MS;
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
    // The action may have closed meanwhile: only the op's check changes, never its outcome. A
    // Redis failover refuses writes for seconds: the op must not stay pending for ever because of it.
    const op = { key: job.op_key, node_uid: job.node_uid, module_name, version };
    for (let waitMs = 500; ; waitMs = Math.min(waitMs * 2, MAX_RETRY_WAIT_MS)) {
      try {
        await actions.attachLoadCheck(job.action_uid, op, check);
        return;
      } catch (err) {
        if (Date.now() + waitMs > giveUpAt) throw err;
        logger.warn({ err, module_name, version }, 'the load check after the install is not recorded yet: retrying');
        await sleep(waitMs);
      }
    }
  } catch (err) {
    logger.warn({ err, module_name, version }, 'the load check after the install could not be recorded');
  }
}
