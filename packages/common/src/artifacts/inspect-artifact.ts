import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { BadRequestError, NotAcceptableError } from '../errors.js';
import { describeZodError, moduleManifestSchema, type ModuleManifest } from './module-schemas.js';

export const MANIFEST_NAME = 'module.json';
const MAX_MANIFEST_BYTES = 1024 * 1024;
/** A module zip holds a manifest, one .so and maybe a few more files: far more is a zip bomb of names. */
export const MAX_ZIP_ENTRIES = 1_000;

export interface InspectedArtifact {
  manifest: ModuleManifest;
  /** Name of the single compiled module inside the zip. */
  moduleFile: string;
  /** Every entry name in the zip. */
  entries?: string[];
}

function invalid(description: string): NotAcceptableError {
  return new NotAcceptableError('invalid_module', description);
}

/** Reads only the central directory and module.json: cheap even for a 1 GiB artifact. */
export async function inspectArtifact(zipPath: string): Promise<InspectedArtifact> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, decodeStrings: false, autoClose: false });
  } catch (cause) {
    throw new BadRequestError('bad_artifact', 'The module artifact is not a readable .zip file', { cause });
  }
  try {
    // The central directory states the count: refused before a single entry is read into memory.
    if (zip.entryCount > MAX_ZIP_ENTRIES) {
      throw invalid(`The zip holds ${zip.entryCount} entries; a module artifact may hold at most ${MAX_ZIP_ENTRIES}`);
    }
    const entries = await readEntries(zip);
    const manifestEntry = entries.get(MANIFEST_NAME);
    if (!manifestEntry) throw invalid('module.json missing: it must sit at the root of the zip');
    const modules = [...entries.keys()].filter(name => name.endsWith('.so'));
    if (modules.length !== 1 || !modules[0]) {
      throw invalid(`The zip must hold exactly one compiled module (.so), found ${modules.length}`);
    }
    const manifest = parseManifest(await readSmallEntry(zip, manifestEntry));
    return { manifest, moduleFile: modules[0], entries: [...entries.keys()] };
  } finally {
    zip.close();
  }
}

function readEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    const fail = (err: unknown) => {
      zip.removeAllListeners();
      reject(
        err instanceof NotAcceptableError
          ? err
          : new BadRequestError('bad_artifact', 'The module artifact is a corrupt .zip file', { cause: err }),
      );
    };
    zip.on('error', fail);
    zip.on('end', () => resolve(entries));
    zip.on('entry', (entry: Entry) => {
      const name = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileName as unknown as Buffer,
        entry.extraFields,
        true,
      );
      const problem = entryNameProblem(name);
      if (problem) return fail(invalid(`Refused zip entry "${name}": ${problem}`));
      if (entries.has(name)) return fail(invalid(`The zip holds "${name}" twice`));
      if (entries.size >= MAX_ZIP_ENTRIES)
        return fail(invalid(`A module artifact may hold at most ${MAX_ZIP_ENTRIES} entries`));
      entries.set(name, entry);
      zip.readEntry();
    });
    zip.readEntry();
  });
}

/** Artifacts are flat: no folders, and nothing that could land outside the store (zip-slip). */
export function entryNameProblem(name: string): string | undefined {
  const unsafe = yauzl.validateFileName(name);
  if (unsafe) return unsafe;
  if (name.includes('/')) return 'folders are not allowed; module.json and the .so must sit at the root';
  if (name === '' || name === '.' || name === '..') return 'empty or relative name';
  if ([...name].some(char => char.charCodeAt(0) < 0x20)) return 'control characters in the name';
  return undefined;
}

async function readSmallEntry(zip: ZipFile, entry: Entry): Promise<Buffer> {
  if (entry.uncompressedSize > MAX_MANIFEST_BYTES) throw invalid('module.json is larger than 1 MiB');
  const chunks: Buffer[] = [];
  try {
    // Opening reads the entry's local header: a broken one (or an unknown compression method) fails here.
    const stream = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (cause) {
    throw new BadRequestError('bad_artifact', 'module.json could not be read from the zip', { cause });
  }
  return Buffer.concat(chunks);
}

function parseManifest(raw: Buffer): ModuleManifest {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('module.json is not valid JSON');
  }
  const parsed = moduleManifestSchema.safeParse(json);
  if (!parsed.success) throw invalid(`module.json: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
