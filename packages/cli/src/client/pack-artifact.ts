import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  discoverModule,
  entryNameProblem,
  findRedisServer,
  inspectArtifact,
  MANIFEST_NAME,
  ModuleLoadError,
  semanticFromVersion,
  splitModuleArgs,
  ThrowawayTimeoutError,
  type DiscoveredModule,
  type LintProblem,
  type ModuleManifest,
} from '@modfleet/common';
import yazl from 'yazl';
import { runCommand, UsageError, type Io, type OutputFlags } from './client-context.js';
import { readManifestFile } from '../modules/manifest-file.js';
import { manifestFileWarnings, packProblems } from '../modules/pack-checks.js';
import { buildManifest, type ManifestFlags } from '../modules/pack-manifest.js';
import { gitSha, moduleArchitecture, moduleOs } from '../modules/platform-info.js';
import { formatBytes, toJson } from './output.js';

export interface PackOptions extends ManifestFlags {
  /** The compiled module (.so). */
  module: string;
  /** A RAMP-style manifest (YAML or JSON): module.json keys, exclude_commands, overide_command, add_command. */
  manifest?: string | undefined;
  /** Load the .so into a throwaway redis-server and read name, version and commands (default true). */
  discover?: boolean | undefined;
  /** redis-server to discover with: a path or a name on PATH (default redis-server). */
  redisServer?: string | undefined;
  out?: string | undefined;
}

export interface PackResult {
  file: string;
  size: number;
  sha256: string;
  manifest: ModuleManifest;
  /** What `inspect` would warn about (the zip was written regardless). */
  problems: LintProblem[];
}

/** Fixed entry times: packing the same inputs twice gives the same bytes (and the same sha256). */
const ZIP_TIME = new Date('2000-01-01T00:00:00Z');
const FILE_MODE = 0o100644;

export { semanticFromVersion };

/**
 * RAMP's discovery, with errors a module developer can act on. The module is loaded with the
 * arguments RS will pass it (`run_command_line_args`, RAMP's discovery-only ones, first).
 */
async function discover(options: PackOptions, file: Record<string, unknown>): Promise<DiscoveredModule> {
  const redisServer = await findRedisServer(options.redisServer ?? 'redis-server');
  if (!redisServer) {
    throw new UsageError(
      'no_redis_server',
      `no redis-server found (${options.redisServer ?? 'redis-server on PATH'}): give --redis-server PATH, or --no-discover with --name and --version`,
    );
  }
  const args = file.run_command_line_args ?? options.commandLineArgs ?? file.command_line_args;
  const moduleArgs = splitModuleArgs(args);
  const loading = `${options.module}${moduleArgs.length > 0 ? ` with arguments "${moduleArgs.join(' ')}"` : ''}`;
  try {
    return await discoverModule(options.module, { redisServer, moduleArgs });
  } catch (err) {
    if (err instanceof ModuleLoadError) {
      throw new UsageError('module_load_failed', `${loading} does not load into ${redisServer}: ${err.message}`);
    }
    if (err instanceof ThrowawayTimeoutError) {
      throw new UsageError('module_load_failed', `loading ${loading} into ${redisServer} ${err.message}`);
    }
    throw err;
  }
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
  const soName = basename(options.module);
  if (!soName.endsWith('.so')) throw new UsageError('bad_file', `${options.module} is not a compiled module (.so)`);
  const problem = entryNameProblem(soName);
  if (problem) throw new UsageError('bad_file', `${soName}: ${problem}`);
  try {
    if (!(await stat(options.module)).isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${options.module}: ${(err as Error).message}`);
  }
  const file = await readManifestFile(options.manifest);
  const discovered = options.discover === false ? undefined : await discover(options, file);
  const manifest = buildManifest({
    flags: options,
    file,
    discovered,
    binary: {
      module_file: soName,
      sha256: await sha256Of(options.module),
      architecture: moduleArchitecture(),
      os: await moduleOs(),
      git_sha: await gitSha(dirname(resolve(options.module))),
    },
  });
  const problems = [...manifestFileWarnings(file, options.manifest), ...packProblems(manifest, discovered)];

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
  return { file: out, size, sha256: await sha256Of(out), manifest, problems };
}

export type PackFlags = OutputFlags & Omit<PackOptions, 'module'>;

const describeCommands = (manifest: ModuleManifest) =>
  manifest.commands.length === 0 ? 'no commands' : `${manifest.commands.length} commands`;

/** `modfleet pack`: the artifact written, its problems on stderr, a line (or the JSON) on stdout. */
export async function runPack(io: Io, module: string, flags: PackFlags): Promise<void> {
  await runCommand(io, flags, async () => {
    const result = await packArtifact({ ...flags, module });
    for (const problem of result.problems) io.stderr.write(`${problem.level}: ${problem.message}\n`);
    if (flags.output === 'json') {
      io.stdout.write(toJson(result));
      return;
    }
    const { manifest } = result;
    io.stdout.write(
      `Wrote ${result.file} (${formatBytes(result.size)}, sha256 ${result.sha256.slice(0, 12)}): ` +
        `${manifest.module_name} version ${manifest.version} (${manifest.semantic_version}) with ${basename(module)}, ${describeCommands(manifest)}\n`,
    );
  });
}
