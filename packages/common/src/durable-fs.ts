import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * fsync a folder: makes the names created, renamed or removed in it survive a power cut (on
 * Linux a file's own fsync does not cover the entry that names it).
 */
export async function fsyncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Writes a new file and fsyncs it before answering: its bytes are on disk, not only in the page
 * cache. `mode` applies from the file's creation (a private key is never readable by others, not even briefly).
 */
export async function writeFileDurable(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const file = await open(path, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * rename with both folders fsynced: the source's before (what was written there is on disk
 * before it becomes visible elsewhere) and the destination's after (the new name survives).
 * The file or folder being renamed must already have been fsynced by whoever wrote it.
 */
export async function renameDurable(from: string, to: string): Promise<void> {
  await fsyncDir(dirname(from));
  await rename(from, to);
  await fsyncDir(dirname(to));
}
