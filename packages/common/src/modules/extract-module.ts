import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry } from 'yauzl';

/** Copies one entry (the .so) of an artifact zip to `dest`; refuses entries above `maxBytes`. */
export async function extractZipEntry(zipPath: string, name: string, dest: string, maxBytes: number): Promise<void> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
  try {
    const entry = await new Promise<Entry>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => reject(new Error(`${name} is not in the zip`)));
      zip.on('entry', (candidate: Entry) => {
        if (candidate.fileName === name) resolve(candidate);
        else zip.readEntry();
      });
      zip.readEntry();
    });
    if (entry.uncompressedSize > maxBytes) {
      throw new Error(`${name} is ${entry.uncompressedSize} bytes unpacked, above the ${maxBytes} allowed`);
    }
    // yauzl checks the actual size against the declared one while streaming.
    await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(dest, { mode: 0o755 }));
  } finally {
    zip.close();
  }
}
