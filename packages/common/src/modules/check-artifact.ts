import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InspectedArtifact } from '../artifacts/inspect-artifact.js';
import { discoverModule, splitModuleArgs } from './discover-module.js';
import { extractZipEntry } from './extract-module.js';
import { compareWithModule, type LintProblem } from './manifest-lint.js';
import type { DiscoveredModule } from './module-commands.js';
import type { ThrowawayRedisOptions } from './throwaway-redis.js';

export interface ArtifactModuleCheck {
  found: DiscoveredModule;
  problems: LintProblem[];
}

/** Largest .so the check unpacks (a zip bomb stops here, not on the node's disk). */
export const MAX_MODULE_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Unpacks the artifact's .so next to a throwaway redis-server, loads it there with module.json's
 * `command_line_args` (as RS would) and compares module.json with what the module registered.
 * Throws ModuleLoadError when it does not load, ThrowawayTimeoutError when loading hangs.
 */
export async function checkArtifactAgainstModule(
  zipPath: string,
  { manifest, moduleFile }: InspectedArtifact,
  options: ThrowawayRedisOptions,
): Promise<ArtifactModuleCheck> {
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'modfleet-so-'));
  try {
    const soPath = join(dir, moduleFile);
    await extractZipEntry(zipPath, moduleFile, soPath, MAX_MODULE_BYTES);
    const moduleArgs = splitModuleArgs(manifest.command_line_args);
    const found = await discoverModule(soPath, { ...options, moduleArgs }, false);
    return { found, problems: compareWithModule(manifest, found) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
