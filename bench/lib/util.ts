import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRedisUserStore, redisKeys } from '@modfleet/common';
import { Redis } from 'ioredis';
import { REDIS_URL, uniquePrefix, withRedis } from '../../test/helpers/redis.js';
import { REPO_ROOT } from '../../test/helpers/processes.js';
import { makeTmpDir, removeDir } from '../../test/helpers/tmp-dir.js';

export const OUT_DIR = join(REPO_ROOT, 'bench', '.out');
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** Credentials of the admin each bench creates under its own prefix. */
export const BENCH_ADMIN = { email: 'bench-admin@bench.local', password: `bench-${randomUUID()}` };

/** A Redis key prefix no other run shares: `bench-<bench>-<uuid>`. */
export const benchPrefix = (bench: string): string => uniquePrefix(`bench-${bench}`);

/** A temp dir named `modfleet-bench-<label>-…`. */
export const benchTmpDir = (label: string): Promise<string> => makeTmpDir(`modfleet-bench-${label}`);

/** Creates the bench admin in the CCS under `prefix` (what the coordinator's first start would do). */
export async function createBenchAdmin(prefix: string): Promise<void> {
  await withRedis(async redis => {
    await createRedisUserStore(redis, redisKeys(prefix)).create({ ...BENCH_ADMIN, role: 'admin', name: 'bench' });
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const verdict = (pass: boolean): 'PASS' | 'FAIL' => (pass ? 'PASS' : 'FAIL');
export const fixed = (value: number, digits = 2): string => value.toFixed(digits);

/** Fails unless the URL points at the loopback address: benches never send traffic elsewhere. */
export function assertLoopback(url: string): void {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`bench traffic must stay on 127.0.0.1, not ${url}`);
}

const runningCommands = new Set<ChildProcess>();

/** Remembers a short-lived command (cp, sync, curl…) so an interrupted bench can end it. */
export function trackChild<Child extends ChildProcess>(child: Child): Child {
  runningCommands.add(child);
  child.once('exit', () => runningCommands.delete(child));
  return child;
}

/**
 * Cleanup steps run once, in reverse order, on normal exit or on SIGINT/SIGTERM, so an
 * interrupted bench still removes its Redis keys, temp dirs and child processes.
 */
export class Cleanup {
  private readonly steps: { label: string; run: () => Promise<unknown> }[] = [];
  private done: Promise<void> | undefined;

  constructor() {
    const onSignal = (signal: NodeJS.Signals) => {
      console.error(`\n${signal}: cleaning up`);
      void this.run().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  add(label: string, run: () => Promise<unknown>): void {
    this.steps.push({ label, run });
  }

  /** A bench temp dir (`modfleet-bench-<label>-…`) that this cleanup removes. */
  async tmpDir(label: string): Promise<string> {
    const dir = await benchTmpDir(label);
    this.add(`temp dir ${dir}`, () => removeDir(dir));
    return dir;
  }

  /** A Redis client for the bench's own reads, disconnected by this cleanup. */
  redis(): Redis {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    this.add('redis client', () => Promise.resolve(redis.disconnect()));
    return redis;
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const child of runningCommands) child.kill('SIGTERM');
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (err) {
          console.error(`cleanup "${step.label}" failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.done;
  }
}

/** Saves a bench's figures as bench/.out/<name>.json (git-ignored) for run-all's summary. */
export function writeResult(name: string, result: unknown): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const path = join(OUT_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/**
 * The benches measure the built packages (dist/), like `modfleet agent` runs them.
 * Fails when a package is unbuilt, warns when a source file is newer than its build.
 */
export function checkBuild(): void {
  for (const pkg of ['common', 'agent', 'coordinator', 'cli']) {
    const root = join(REPO_ROOT, 'packages', pkg);
    let built: number;
    try {
      built = statSync(join(root, 'dist', '.tsbuildinfo')).mtimeMs;
    } catch {
      throw new Error(`packages/${pkg} is not built: run \`npx tsc -b\` (npm run bench does it for you)`);
    }
    const newest = newestMtime(join(root, 'src'));
    if (newest > built) {
      console.warn(
        `warning: packages/${pkg}/src is newer than its dist/: run \`npx tsc -b\` to bench the current code`,
      );
    }
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export function machineLine(): string {
  return `node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`;
}

/** Runs a bench's main: its number is the exit code (0 all targets met, 1 one missed); a crash exits 2. */
export function runBench(main: () => Promise<number>): void {
  main().then(
    code => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
