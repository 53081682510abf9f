import {
  checkArtifactAgainstModule,
  findRedisServer,
  inspectArtifact,
  isAppError,
  lintManifest,
  MANIFEST_NAME,
  ModuleLoadError,
  ThrowawayTimeoutError,
  type DiscoveredModule,
  type LintProblem,
  type ModuleManifest,
} from '@modfleet/common';
import { stat } from 'node:fs/promises';
import { runCommand, UsageError, type Io, type OutputFlags } from '../client/client-context.js';
import { toJson } from '../client/output.js';

export interface InspectReport {
  file: string;
  manifest: ModuleManifest | null;
  module_file: string | null;
  /** What the .so registered in a throwaway redis-server; null when it was not loaded. */
  module: DiscoveredModule | null;
  /** Why the .so was not loaded (no redis-server, --no-load), when it was not. */
  not_loaded: string | null;
  problems: LintProblem[];
}

export interface InspectOptions {
  /** Load the .so and compare (default true when a redis-server is found). */
  load?: boolean | undefined;
  redisServer?: string | undefined;
}

/** The manifest, linted on its own and, with a redis-server, against the .so it ships. */
export async function inspectZip(file: string, options: InspectOptions = {}): Promise<InspectReport> {
  const report: InspectReport = {
    file,
    manifest: null,
    module_file: null,
    module: null,
    not_loaded: null,
    problems: [],
  };
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${file}: ${(err as Error).message}`);
  }
  let inspected;
  try {
    inspected = await inspectArtifact(file);
  } catch (err) {
    if (!isAppError(err)) throw err;
    report.problems.push({ level: 'error', message: err.message });
    return report;
  }
  report.manifest = inspected.manifest;
  report.module_file = inspected.moduleFile;
  const extra = (inspected.entries ?? []).filter(name => name !== MANIFEST_NAME && name !== inspected.moduleFile);
  if (extra.length > 0) {
    report.problems.push({ level: 'warning', message: `files RS does not use in the zip: ${extra.join(', ')}` });
  }
  report.problems.push(...lintManifest(inspected.manifest));
  if (options.load === false) {
    report.not_loaded = '--no-load';
    return report;
  }
  const redisServer = await findRedisServer(options.redisServer ?? 'redis-server');
  if (!redisServer) {
    report.not_loaded = `no redis-server found (${options.redisServer ?? 'on PATH'}): the manifest was not checked against the .so`;
    return report;
  }
  try {
    const { found, problems } = await checkArtifactAgainstModule(file, inspected, { redisServer });
    report.module = found;
    report.problems.push(...problems);
  } catch (err) {
    if (err instanceof ModuleLoadError) {
      report.problems.push({ level: 'error', message: `${inspected.moduleFile} does not load: ${err.message}` });
    } else if (err instanceof ThrowawayTimeoutError) {
      report.problems.push({ level: 'error', message: `loading ${inspected.moduleFile} ${err.message}` });
    } else {
      throw err;
    }
  }
  return report;
}

export function renderInspectReport(report: InspectReport): string {
  let text = `${report.file}\n`;
  if (report.manifest) text += `${JSON.stringify(report.manifest, null, 2)}\n`;
  if (report.module) {
    text += `Loaded ${report.module_file} into redis-server ${report.module.redis_version}: registers ${report.module.module_name} version ${report.module.version} with ${report.module.commands.length} commands\n`;
  } else if (report.not_loaded) {
    text += `Not loaded: ${report.not_loaded}\n`;
  }
  for (const problem of report.problems) text += `${problem.level}: ${problem.message}\n`;
  const errors = report.problems.filter(p => p.level === 'error').length;
  const warnings = report.problems.length - errors;
  text += `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`;
  return text;
}

export type InspectFlags = OutputFlags & InspectOptions;

/** `modfleet inspect`: the report on stdout; exit 1 when it holds an error. */
export async function runInspect(io: Io, file: string, flags: InspectFlags): Promise<void> {
  await runCommand(io, flags, async () => {
    const report = await inspectZip(file, flags);
    io.stdout.write(flags.output === 'json' ? toJson(report) : renderInspectReport(report));
    return report.problems.some(p => p.level === 'error') ? 1 : 0;
  });
}
