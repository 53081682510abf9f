import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

export interface ArtifactFile {
  path: string;
  /** Bytes of the zip itself (what the agent stores and hashes). */
  size: number;
  sha256: string;
  moduleName: string;
  version: number;
}

/** A valid RS 8.x module.json. */
export function benchManifest(moduleName: string, version: number): Record<string, unknown> {
  return {
    module_name: moduleName,
    version,
    semantic_version: `0.0.${version}`,
    min_redis_version: '7.0',
    commands: [{ command_name: 'bench.cmd', command_arity: -1, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
    capabilities: ['types'],
    dependencies: [],
  };
}

/** Random bytes, generated and written 1 MiB at a time: never the whole file in memory. */
async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const chunk = 1024 * 1024;
  let left = bytes;
  const source = new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const size = Math.min(chunk, left);
      left -= size;
      this.push(randomBytes(size));
    },
  });
  await pipeline(source, createWriteStream(path));
}

/**
 * Writes an artifact zip (module.json + a random `module.so` of `soBytes`, stored
 * uncompressed) to `zipPath`, streaming: the .so goes to disk first, then yazl reads it back.
 * Returns the zip's size and sha256 so uploads can be checked byte for byte.
 */
export async function writeArtifactZipFile(
  zipPath: string,
  soBytes: number,
  moduleName: string,
  version: number,
): Promise<ArtifactFile> {
  const soPath = `${zipPath}.so.tmp`;
  try {
    await writeRandomFile(soPath, soBytes);
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(JSON.stringify(benchManifest(moduleName, version))), 'module.json');
    zip.addFile(soPath, 'module.so', { compress: false });
    zip.end();
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(data: Buffer, _encoding, done) {
        hash.update(data);
        size += data.length;
        done(null, data);
      },
    });
    await pipeline(zip.outputStream, hashing, createWriteStream(zipPath));
    return { path: zipPath, size, sha256: hash.digest('hex'), moduleName, version };
  } finally {
    await rm(soPath, { force: true });
  }
}

/** A small artifact zip in memory (a 4 KiB .so), for seeding stores and warm-ups. */
export async function smallArtifactZip(moduleName: string, version: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify(benchManifest(moduleName, version))), 'module.json');
  zip.addBuffer(randomBytes(4096), 'module.so');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const data of zip.outputStream) chunks.push(data as Buffer);
  return Buffer.concat(chunks);
}

export interface SmallArtifact {
  path: string;
  size: number;
  sha256: string;
  name: string;
  version: number;
}

/** A small artifact written as `<dir>/<name>-<version>.zip`. */
export async function writeSmallArtifact(dir: string, name: string, version: number): Promise<SmallArtifact> {
  const zip = await smallArtifactZip(name, version);
  const path = join(dir, `${name}-${version}.zip`);
  await writeFile(path, zip);
  return { path, size: zip.length, sha256: createHash('sha256').update(zip).digest('hex'), name, version };
}
