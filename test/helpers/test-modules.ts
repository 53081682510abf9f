import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildArtifactZip } from './artifact-zip.js';

/**
 * mfver, the project's own test module (test/fixtures/modules, docs/testing-modules.md): three
 * versions built from one C source. 1.0.0 and 1.1.0 write the data type's encoding 1, 2.0.0 writes
 * encoding 2, which the older two refuse to load.
 */
export const MFVER_VERSIONS = {
  '1.0.0': { version: 10000, encver: 1 },
  '1.1.0': { version: 10100, encver: 1 },
  '2.0.0': { version: 20000, encver: 2 },
} as const;

export type MfverSemver = keyof typeof MFVER_VERSIONS;
export const MFVER_NEWEST: MfverSemver = '2.0.0';
export const MFVER_NAME = 'mfver';
/** The data type's name as TYPE reports it (the core wants exactly nine characters). */
export const MFVER_TYPE = 'mfvertype';

const readonlyCommand = (name: string, key: number) => ({
  command_name: name,
  command_arity: -1,
  first_key: key,
  last_key: key,
  step: key,
  flags: ['readonly', 'module', 'fast'],
});

/** What every version registers, as COMMAND INFO reports it (module.json's `commands`). */
export const MFVER_COMMANDS = [
  readonlyCommand('MFVER.VERSION', 0),
  readonlyCommand('MFVER.SEMVER', 0),
  readonlyCommand('MFVER.ARGS', 0),
  {
    command_name: 'MFVER.SET',
    command_arity: -1,
    first_key: 1,
    last_key: 1,
    step: 1,
    flags: ['write', 'denyoom', 'module'],
  },
  readonlyCommand('MFVER.GET', 1),
];

const SOURCES = fileURLToPath(new URL('../fixtures/modules/', import.meta.url));
const SOURCE_FILES = ['mf_module_api.h', 'mfver.c'];
/** Outside the repository, shared by test files and runs: a build is named by the hash of what made it. */
const CACHE_DIR = join(tmpdir(), 'modfleet-test-modules');
const run = promisify(execFile);

function compilerArgs(semver: MfverSemver, output: string): string[] {
  const { version, encver } = MFVER_VERSIONS[semver];
  return [
    ...['-std=c11', '-Wall', '-Wextra', '-O2', '-fPIC', '-shared'],
    `-DMFVER_VERSION=${version}`,
    `-DMFVER_SEMVER="${semver}"`,
    `-DMFVER_ENCVER=${encver}`,
    '-o',
    output,
    join(SOURCES, 'mfver.c'),
  ];
}

async function gccVersion(): Promise<string> {
  try {
    return (await run('gcc', ['-dumpfullversion', '-dumpversion'])).stdout.trim();
  } catch (err) {
    throw new Error(`the test modules need gcc (apt-get install gcc): ${(err as Error).message}`, { cause: err });
  }
}

async function buildHash(semver: MfverSemver): Promise<string> {
  const hash = createHash('sha256').update(await gccVersion());
  for (const file of SOURCE_FILES) hash.update(file).update(await readFile(join(SOURCES, file)));
  hash.update(compilerArgs(semver, '').join('\0'));
  return hash.digest('hex').slice(0, 16);
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Compiles mfver `semver` into `cacheDir` unless a build of the same sources is there; returns its path. */
export async function compileTestModule(semver: MfverSemver, cacheDir: string): Promise<string> {
  const path = join(cacheDir, `mfver-${semver}-${await buildHash(semver)}.so`);
  if (await exists(path)) return path;
  await mkdir(cacheDir, { recursive: true });
  // Another test file may build the same version now: each writes its own file, the rename is atomic.
  const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await run('gcc', compilerArgs(semver, partial));
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { force: true });
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`could not build mfver ${semver}: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return path;
}

const builds = new Map<MfverSemver, Promise<string>>();

/** Path of mfver `semver`'s .so, compiled once (per content) into a cache outside the repository. */
export function testModulePath(semver: MfverSemver): Promise<string> {
  let build = builds.get(semver);
  if (!build) {
    build = compileTestModule(semver, CACHE_DIR);
    builds.set(semver, build);
    build.catch(() => builds.delete(semver));
  }
  return build;
}

/** RS's module.json for mfver `semver`; `overrides` as in artifact-zip's validManifest (`undefined` deletes). */
export function testModuleManifest(
  semver: MfverSemver,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const manifest: Record<string, unknown> = {
    module_name: MFVER_NAME,
    display_name: 'mfver test module',
    version: MFVER_VERSIONS[semver].version,
    semantic_version: semver,
    min_redis_version: '7.0',
    compatible_redis_version: '7.0',
    command_line_args: '',
    capabilities: ['types', 'replica_of', 'persistence_rdb', 'persistence_aof', 'failover_migrate'],
    commands: MFVER_COMMANDS.map(command => ({ ...command, flags: [...command.flags] })),
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete manifest[key];
    else manifest[key] = value;
  }
  return manifest;
}

/** An RS module zip of mfver `semver`: module.json and `mfver.so` at its root. */
export async function testModuleZip(semver: MfverSemver, overrides: Record<string, unknown> = {}): Promise<Buffer> {
  return buildArtifactZip({
    manifestText: JSON.stringify(testModuleManifest(semver, overrides)),
    so: await readFile(await testModulePath(semver)),
    soName: 'mfver.so',
  });
}

/** Writes testModuleZip to `dir/mfver-<semver>.zip` and returns the path. */
export async function writeTestModuleZip(
  dir: string,
  semver: MfverSemver,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const path = join(dir, `mfver-${semver}.zip`);
  await writeFile(path, await testModuleZip(semver, overrides));
  return path;
}
