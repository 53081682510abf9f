import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createFakeActionStore,
  createLogger,
  createMetrics,
  type ArtifactJob,
  type LoadCheck,
  type LoadCheckMode,
} from '@modfleet/common';
import { openDiskArtifactStore, type ArtifactStore } from '@modfleet/agent';
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createArtifactJobProcessor } from '../../packages/agent/src/fleet/artifact-job-processor.js';
import type { CoordinatorClient } from '../../packages/agent/src/fleet/coordinator-client.js';
import type { LoadChecker } from '../../packages/agent/src/load-check/load-checker.js';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { pollFor } from '../helpers/poll.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const PASSED: LoadCheck = { status: 'passed', reason: 'loaded', checked_at: '2026-01-01T00:00:00.000Z' };

/** A load checker whose checks end only when the test says so. */
function heldChecker(mode: LoadCheckMode) {
  const held: ((error?: Error) => void)[] = [];
  const run = () =>
    new Promise<LoadCheck>((resolve, reject) => held.push(error => (error ? reject(error) : resolve(PASSED))));
  const checker: LoadChecker = {
    mode: () => Promise.resolve(mode),
    check: run,
    beforeInstall: run,
  };
  return { checker, held };
}

describe('fleet install under module_load_check', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await removeDir(dir);
    dir = undefined;
  });

  async function setup(mode: LoadCheckMode) {
    dir = await makeTmpDir('deferred-check');
    const zip = await buildArtifactZip({ manifest: { module_name: 'Later', version: 1 } });
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const logger = createLogger({ name: 'test', level: 'silent' });
    const store: ArtifactStore = await openDiskArtifactStore(dir, logger);
    const coordinator = {
      download: async (_url: string, tempDir: string) => {
        const path = join(tempDir, 'download');
        await writeFile(path, zip);
        return { path, size: zip.length, sha256 };
      },
    } as unknown as CoordinatorClient;
    const actions = createFakeActionStore();
    const job: ArtifactJob = {
      action_uid: 'a1',
      op_key: 'k1',
      node_uid: 1,
      op: 'install',
      module_name: 'Later',
      version: 1,
      sha256,
      size: zip.length,
      url: '/blob',
    };
    await actions.create({ action_uid: 'a1' } as never, []);
    const { checker, held } = heldChecker(mode);
    const process = createArtifactJobProcessor({
      store,
      loadChecker: checker,
      coordinator,
      actions,
      logger,
      metrics: createMetrics('agent'),
    });
    const run = process({ data: job, id: 'j1', attemptsStarted: 1, attemptsMade: 0, opts: { attempts: 1 } } as Job);
    const op = async () => (await actions.get('a1'))?.ops.find(o => o.key === 'k1');
    return { run, held, store, op, actions };
  }

  it('warn: the op completes once installed, its check pending, and gets the result when the check ends', async () => {
    const { run, held, store, op, actions } = await setup('warn');

    await expect(run).resolves.toEqual({ result: 'installed' });
    expect(await op()).toMatchObject({ status: 'completed', load_check: { status: 'pending' } });
    expect(store.get('Later', 1)?.load_check?.status).toBe('pending');

    // The push's action closes as soon as every op completed, before the check ends.
    await actions.markFinished('a1', Date.now());
    expect(held).toHaveLength(1);
    held[0]!();
    await pollFor(op, o => o?.load_check?.status === 'passed', 'the check result on the op');
    expect(await op()).toMatchObject({ status: 'completed', load_check: PASSED });
    expect(store.get('Later', 1)?.load_check).toEqual(PASSED);
    expect((await actions.nodeOps()).get('1|Later@1')?.load_check).toEqual(PASSED);
  });

  it('warn: an artifact deleted before its check ran leaves the op with a skipped check, not pending', async () => {
    const { run, held, store, op } = await setup('warn');
    await run;

    await store.remove('Later', 1);
    held[0]!(new Error('ENOENT: module.zip'));
    await pollFor(op, o => o?.load_check?.status !== 'pending', 'the op no longer pending');
    expect(await op()).toMatchObject({
      status: 'completed',
      load_check: { status: 'skipped', reason: expect.stringContaining('could not run') as string },
    });
  });

  it('enforce: nothing is installed before the check ends', async () => {
    const { run, held, store, op } = await setup('enforce');

    await pollFor(
      () => Promise.resolve(held.length),
      n => n === 1,
      'the check started',
    );
    expect(store.get('Later', 1)).toBeUndefined();
    expect((await op())?.status).toBe('running');
    held[0]!();
    await expect(run).resolves.toEqual({ result: 'installed' });
    expect(await op()).toMatchObject({ status: 'completed', load_check: PASSED });
  });
});
