import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  describeZodError,
  entryNameProblem,
  inspectArtifact,
  MANIFEST_NAME,
  moduleManifestSchema,
  type ModuleManifest,
} from '@modfleet/common';
import type { Command } from 'commander';
import yazl from 'yazl';
import { addOutputOption, clientCommand, runCommand, UsageError, type Io, type OutputFlags } from './client-context.js';
import { formatBytes, toJson } from './output.js';

export interface PackOptions {
  /** The compiled module (.so). */
  module: string;
  name: string;
  version: string;
  semanticVersion?: string | undefined;
  minRedisVersion?: string | undefined;
  capabilities?: string[] | undefined;
  dependencies?: string[] | undefined;
  /** More module.json fields (commands, display_name…) from a JSON file; the flags win. */
  manifest?: string | undefined;
  out?: string | undefined;
}

export interface PackResult {
  file: string;
  size: number;
  sha256: string;
  manifest: ModuleManifest;
}

/** Fixed entry times: packing the same inputs twice gives the same bytes (and the same sha256). */
const ZIP_TIME = new Date('2000-01-01T00:00:00Z');
const FILE_MODE = 0o100644;

/** RS encodes versions as MMmmpp: 20804 is 2.8.4. */
export function semanticFromVersion(version: number): string {
  return `${Math.floor(version / 10_000)}.${Math.floor(version / 100) % 100}.${version % 100}`;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map(item => item.trim())
    .filter(item => item !== '');

async function extraManifestFields(path: string | undefined): Promise<Record<string, unknown>> {
  if (path === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${path} as JSON: ${(err as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError('bad_file', `${path} must hold a JSON object (module.json fields)`);
  }
  return json as Record<string, unknown>;
}

/** module.json from the flags, checked with the very schema the agents and the coordinator use. */
export async function buildManifest(options: PackOptions): Promise<ModuleManifest> {
  const version = /^\d+$/.test(options.version) ? Number(options.version) : options.version;
  const base = await extraManifestFields(options.manifest);
  const candidate: Record<string, unknown> = {
    commands: [],
    capabilities: [],
    min_redis_version: '7.0',
    ...base,
    module_name: options.name,
    version,
    semantic_version:
      options.semanticVersion ??
      (typeof base.semantic_version === 'string' ? base.semantic_version : undefined) ??
      (typeof version === 'number' ? semanticFromVersion(version) : '0.0.0'),
    ...(options.minRedisVersion !== undefined && { min_redis_version: options.minRedisVersion }),
    ...(options.capabilities !== undefined && { capabilities: options.capabilities }),
    ...(options.dependencies !== undefined && { dependencies: options.dependencies }),
  };
  const parsed = moduleManifestSchema.safeParse(candidate);
  if (!parsed.success) throw new UsageError('invalid_module', describeZodError(parsed.error));
  return parsed.data;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Builds an RS 8.x artifact: module.json and the .so at the root of a zip, nothing else. Written
 * next to its destination and renamed into place; the result is inspected as an agent would.
 */
export async function packArtifact(options: PackOptions): Promise<PackResult> {
  const manifest = await buildManifest(options);
  const soName = basename(options.module);
  if (!soName.endsWith('.so')) throw new UsageError('bad_file', `${options.module} is not a compiled module (.so)`);
  const problem = entryNameProblem(soName);
  if (problem) throw new UsageError('bad_file', `${soName}: ${problem}`);
  try {
    if (!(await stat(options.module)).isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${options.module}: ${(err as Error).message}`);
  }

  const out = resolve(options.out ?? `${manifest.module_name}-${manifest.version}.zip`);
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), MANIFEST_NAME, {
    mtime: ZIP_TIME,
    mode: FILE_MODE,
  });
  zip.addFile(options.module, soName, { mtime: ZIP_TIME, mode: FILE_MODE });
  zip.end();
  try {
    await pipeline(zip.outputStream, createWriteStream(temp));
    await inspectArtifact(temp);
    await rename(temp, out);
  } catch (err) {
    await rm(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code && /^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code!)) {
      throw new UsageError('bad_file', `cannot write ${out}: ${(err as Error).message}`);
    }
    throw err;
  }
  const { size } = await stat(out);
  return { file: out, size, sha256: await sha256Of(out), manifest };
}

type PackFlags = OutputFlags & Omit<PackOptions, 'module'>;

export function registerPackCommand(program: Command, io: Io): void {
  addOutputOption(
    clientCommand(program, 'pack', io)
      .argument('<module.so>', 'the compiled module')
      .description('build an RS module artifact (.zip with module.json and the .so at its root), ready for `push`')
      .requiredOption('--name <module_name>', 'module_name: 1-64 of A-Z a-z 0-9 . _ -')
      .requiredOption('--version <integer>', 'integer version, RS style MMmmpp (20804 = 2.8.4)')
      .option('--semantic-version <semver>', 'default: from --version (20804 → 2.8.4)')
      .option('--min-redis-version <version>', 'default: 7.0')
      .option('--capabilities <list>', 'comma-separated, e.g. types,replica_of', list)
      .option('--dependencies <list>', 'comma-separated names of required modules', list)
      .option('--manifest <file.json>', 'more module.json fields (commands, display_name…); the flags win')
      .option('--out <file>', 'default: <name>-<version>.zip in the current folder'),
  ).action(async (module: string, flags: PackFlags) => {
    await runCommand(io, flags, async () => {
      const result = await packArtifact({ ...flags, module });
      if (flags.output === 'json') {
        io.stdout.write(toJson(result));
        return;
      }
      const { manifest } = result;
      io.stdout.write(
        `Wrote ${result.file} (${formatBytes(result.size)}, sha256 ${result.sha256.slice(0, 12)}): ` +
          `${manifest.module_name} version ${manifest.version} (${manifest.semantic_version}) with ${basename(module)}\n`,
      );
    });
  });
}
