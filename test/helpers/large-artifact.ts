/** Artifacts too large to build in memory: written to disk as they are made, hashed as they are read. */
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { validManifest } from './artifact-zip.js';

const MiB = 1024 * 1024;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Writes `bytes` of random data to `<dir>/module.so`, then an RS zip holding it (stored, not
 * deflated) to `<dir>/artifact.zip`, streaming both: the test never holds the artifact in memory.
 */
export async function writeLargeArtifact(
  dir: string,
  name: string,
  bytes: number,
): Promise<{ path: string; sha256: string }> {
  const soPath = join(dir, 'module.so');
  let left = bytes;
  await pipeline(
    Readable.from(
      (function* () {
        while (left > 0) {
          const size = Math.min(left, 4 * MiB);
          left -= size;
          yield randomFillSync(Buffer.allocUnsafe(size));
        }
      })(),
    ),
    createWriteStream(soPath),
  );
  const zipPath = join(dir, 'artifact.zip');
  const zip = new yazl.ZipFile();
  zip.addBuffer(
    Buffer.from(JSON.stringify(validManifest({ module_name: name, version: 1, semantic_version: '0.0.1' }))),
    'module.json',
  );
  zip.addFile(soPath, 'module.so', { compress: false });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  await rm(soPath);
  return { path: zipPath, sha256: await sha256File(zipPath) };
}
