import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir, named `<label>-<random>`. */
export async function makeTmpDir(label = 'modfleet-test'): Promise<string> {
  return mkdtemp(join(tmpdir(), `${label}-`));
}

/** Removes a directory tree, retrying while a process that just exited still holds files in it. */
export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}
