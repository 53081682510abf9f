import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  createLogger,
  createMetrics,
  inspectArtifact,
  type ArtifactJob,
  type HashedUpload,
  type LoadCheck,
  type OpRecord,
} from '@modfleet/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../../../../test/helpers/artifact-zip.js';
import { makeTmpDir, removeDir } from '../../../../test/helpers/tmp-dir.js';
import { openDiskArtifactStore, type ArtifactStore } from '../artifacts/artifact-store.js';
import { LoadCheckRejectedError } from '../load-check/load-check-rejected.js';
import type { LoadChecker } from '../load-check/load-checker.js';
import { createArtifactJobProcessor } from './artifact-job-processor.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { OpRefusedError } from './op-refused.js';

const logger = createLogger({ name: 'processor-test', level: 'silent' });
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ATTEMPTS = 5;

const PASSED: LoadCheck = { status: 'passed', reason: 'loaded', checked_at: '2026-03-01T12:00:00.000Z' };
const FAILED: LoadCheck = { status: 'failed', reason: 'does not load', checked_at: '2026-03-01T12:00:00.000Z' };

/** The state an op's entry shows after one write. */
type Recorded = Pick<OpRecord, 'status' | 'progress' | 'attempts' | 'error'> & Partial<OpRecord>;

describe('artifact job processor: the states it records for an op', () => {
  let dataDir: string;
  let store: ArtifactStore;
  let zip: Buffer;
  let recorded: Recorded[];
  let downloads: number;
  /** What each download does, in turn: an error to throw, or undefined to deliver the bytes. */
  let downloadFailures: (Error | undefined)[];
  let loadCheck: LoadCheck | Error;

  beforeEach(async () => {
    dataDir = await makeTmpDir('processor');
    store = await openDiskArtifactStore(dataDir, logger);
    zip = await buildArtifactZip({ manifest: { module_name: 'Mod', version: 1 } });
    recorded = [];
    downloads = 0;
    downloadFailures = [];
    loadCheck = PASSED;
  });
  afterEach(async () => {
    await removeDir(dataDir);
  });

  const coordinator: CoordinatorClient = {
    register: () => Promise.reject(new Error('not used')),
    async download(_path, tempDir, onBytes) {
      downloads += 1;
      const failure = downloadFailures.shift();
      if (failure) throw failure;
      const path = join(tempDir, `download-${downloads}`);
      await writeFile(path, zip);
      onBytes(zip.length);
      return { path, size: zip.length, sha256: sha256(zip) } satisfies HashedUpload;
    },
    hasBlob: () => Promise.resolve(true),
  };
  const loadChecker: LoadChecker = {
    beforeInstall: () => (loadCheck instanceof Error ? Promise.reject(loadCheck) : Promise.resolve(loadCheck)),
  };

  const process = () =>
    createArtifactJobProcessor({
      store,
      loadChecker,
      coordinator,
      actions: {
        recordOp: (_actionUid, op) => {
          const { status, progress, attempts, error, load_check, sources } = op;
          recorded.push({
            status,
            progress,
            attempts,
            error,
            ...(load_check && { load_check }),
            ...(sources && { sources }),
          });
          return Promise.resolve();
        },
      },
      logger,
      metrics: createMetrics('agent'),
    });

  const installJob = (extra: Partial<ArtifactJob> = {}): ArtifactJob => ({
    action_uid: 'act-1',
    op_key: '1-0',
    node_uid: 1,
    op: 'install',
    module_name: 'Mod',
    version: 1,
    sha256: sha256(zip),
    size: zip.length,
    url: `/internal/blobs/${sha256(zip)}`,
    ...extra,
  });
  /** One run of a job as BullMQ hands it over: `attemptsMade` runs failed before, `attemptsStarted` began. */
  const run = (data: ArtifactJob, attemptsMade = 0, attemptsStarted = attemptsMade + 1) =>
    ({ id: '7', data, attemptsMade, attemptsStarted, opts: { attempts: ATTEMPTS } }) as unknown as Job;

  it('records running, its progress, then completed with where the bytes came from and the load check', async () => {
    const outcome = await process()(run(installJob()));

    expect(outcome).toEqual({ result: 'installed' });
    expect(recorded).toEqual([
      { status: 'running', progress: 0, attempts: 1, error: null },
      { status: 'running', progress: 99, attempts: 1, error: null },
      {
        status: 'completed',
        progress: 100,
        attempts: 1,
        error: null,
        load_check: PASSED,
        sources: [
          {
            source: 'origin',
            bytes: zip.length,
            first_byte_at: expect.any(String) as string,
            last_byte_at: expect.any(String) as string,
          },
        ],
      },
    ]);
  });

  it('puts a failure BullMQ retries back to queued with its error, then completes on the next attempt', async () => {
    downloadFailures = [new Error('socket hang up')];
    const processor = process();

    const first = processor(run(installJob(), 0));
    await expect(first).rejects.toThrow('socket hang up');
    await expect(first).rejects.not.toBeInstanceOf(UnrecoverableError);
    const afterFirst = recorded.splice(0);
    await processor(run(installJob(), 1));

    expect(afterFirst).toEqual([
      { status: 'running', progress: 0, attempts: 1, error: null },
      { status: 'queued', progress: 0, attempts: 1, error: 'socket hang up' },
    ]);
    expect(recorded.map(r => [r.status, r.attempts, r.error])).toEqual([
      ['running', 2, null],
      ['running', 2, null],
      ['completed', 2, null],
    ]);
  });

  it('fails the op on the last attempt with the error, before BullMQ moves the job', async () => {
    downloadFailures = [new Error('socket hang up')];

    await expect(process()(run(installJob(), ATTEMPTS - 1))).rejects.toThrow('socket hang up');

    expect(recorded.at(-1)).toEqual({ status: 'failed', progress: 0, attempts: ATTEMPTS, error: 'socket hang up' });
  });

  it('counts runs a crash cut short in attempts', async () => {
    await process()(run(installJob(), 1, 3));

    expect(recorded.map(r => r.attempts)).toEqual([3, 3, 3]);
  });

  it('fails an op whose module fails the load check at once, showing the check, and installs nothing', async () => {
    loadCheck = new LoadCheckRejectedError(FAILED);

    const failed = process()(run(installJob()));

    await expect(failed).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failed).rejects.toMatchObject({ code: 'load_check_failed', loadCheck: FAILED });
    expect(recorded.at(-1)).toEqual({
      status: 'failed',
      progress: 0,
      attempts: 1,
      error: 'module load check failed on this node: does not load',
      load_check: FAILED,
    });
    expect(store.get('Mod', 1)).toBeUndefined();
  });

  it('fails an op at once on drift, other bytes under the same name and version, without downloading', async () => {
    const other = await buildArtifactZip({ manifest: { module_name: 'Mod', version: 1 } });
    const path = join(store.tempDir, 'other');
    await writeFile(path, other);
    await store.install({ path, size: other.length, sha256: sha256(other) }, await inspectArtifact(path));

    const failed = process()(run(installJob()));

    await expect(failed).rejects.toBeInstanceOf(OpRefusedError);
    await expect(failed).rejects.toMatchObject({ code: 'drift' });
    expect(recorded).toEqual([
      { status: 'running', progress: 0, attempts: 1, error: null },
      {
        status: 'failed',
        progress: 0,
        attempts: 1,
        error: expect.stringMatching(
          /^drift: this node holds Mod@1 with sha256 [0-9a-f]{64}, the fleet's is/,
        ) as string,
      },
    ]);
    expect(downloads).toBe(0);
    expect(store.get('Mod', 1)?.sha256).toBe(sha256(other));
  });
});
