import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { extractZipEntry } from './extract-module.js';

async function zipOf(entries: { name: string; bytes: Buffer; compress: boolean }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const { name, bytes, compress } of entries) zip.addBuffer(bytes, name, { compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('extractZipEntry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extract-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // Larger than one 1 MiB read, and compressible so the deflated entry is really deflated.
  const so = Buffer.concat([randomBytes(1536 * 1024), Buffer.alloc(1024 * 1024, 7)]);

  it.each([
    ['stored', false],
    ['deflated', true],
  ])('copies a %s entry byte for byte, leaving the others', async (_kind, compress) => {
    const path = join(dir, 'a.zip');
    await writeFile(
      path,
      await zipOf([
        { name: 'module.json', bytes: Buffer.from('{}'), compress },
        { name: 'm.so', bytes: so, compress },
        { name: 'empty.so', bytes: Buffer.alloc(0), compress },
      ]),
    );

    await extractZipEntry(path, 'm.so', join(dir, 'out.so'), 16 * 1024 * 1024);
    await extractZipEntry(path, 'empty.so', join(dir, 'empty-out.so'), 16 * 1024 * 1024);

    expect((await readFile(join(dir, 'out.so'))).equals(so)).toBe(true);
    expect(await readFile(join(dir, 'empty-out.so'))).toHaveLength(0);
  });

  it('refuses an entry larger than allowed, and one that is missing', async () => {
    const path = join(dir, 'a.zip');
    await writeFile(path, await zipOf([{ name: 'm.so', bytes: so, compress: false }]));

    await expect(extractZipEntry(path, 'm.so', join(dir, 'out.so'), 1024)).rejects.toThrow(/above the 1024 allowed/);
    await expect(extractZipEntry(path, 'other.so', join(dir, 'out.so'), 1 << 24)).rejects.toThrow(/not in the zip/);
  });

  it('refuses a deflated entry whose bytes unpack to more than its header declares', async () => {
    const path = join(dir, 'a.zip');
    const zip = await zipOf([{ name: 'm.so', bytes: so, compress: true }]);
    // The declared uncompressed size sits at offset 24 of the central directory header (and 22 of
    // the local one); lower it in the central directory, which yauzl reads.
    const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(so.length - 1, central + 24);
    await writeFile(path, zip);

    await expect(extractZipEntry(path, 'm.so', join(dir, 'out.so'), 1 << 24)).rejects.toThrow(
      /more than the \d+ bytes its zip entry declares/,
    );
  });
});
