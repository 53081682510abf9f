import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import yazl from 'yazl';

export interface ArtifactZipOptions {
  /** Fields merged over a valid module.json; `undefined` values delete the field. */
  manifest?: Record<string, unknown>;
  /** Raw module.json text instead of the JSON of `manifest`. */
  manifestText?: string;
  /** Leave module.json out. */
  withoutManifest?: boolean;
  /** Bytes of the .so (random 4 KiB by default), or false for no .so. */
  so?: Buffer | false;
  soName?: string;
  /** More entries, e.g. `{ '../evil.so': Buffer }` for zip-slip. */
  extraEntries?: Record<string, Buffer | string>;
}

export function validManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const manifest: Record<string, unknown> = {
    module_name: 'TestModule',
    version: 123,
    semantic_version: '0.0.123',
    min_redis_version: '7.0',
    commands: [{ command_name: 'test.cmd', command_arity: -1, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
    capabilities: ['types'],
    dependencies: ['dep_1', 'dep_2'],
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete manifest[key];
    else manifest[key] = value;
  }
  return manifest;
}

/** Builds an RS 8.x artifact zip in memory (module.json + one .so at the root, by default). */
export async function buildArtifactZip(options: ArtifactZipOptions = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  if (!options.withoutManifest) {
    const text = options.manifestText ?? JSON.stringify(validManifest(options.manifest));
    zip.addBuffer(Buffer.from(text), 'module.json');
  }
  if (options.so !== false) zip.addBuffer(options.so ?? randomBytes(4096), options.soName ?? 'module.so');
  for (const [name, content] of Object.entries(options.extraEntries ?? {})) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function writeArtifactZip(path: string, options: ArtifactZipOptions = {}): Promise<Buffer> {
  const zip = await buildArtifactZip(options);
  await writeFile(path, zip);
  return zip;
}
