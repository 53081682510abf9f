import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UsageError } from '../client/client-context.js';

/** A RAMP-style manifest (YAML, of which JSON is a subset): module.json keys and RAMP's options. */
export async function readManifestFile(path: string | undefined): Promise<Record<string, unknown>> {
  if (path === undefined) return {};
  let value: unknown;
  try {
    value = parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${path} as a YAML or JSON manifest: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('bad_file', `${path} must hold a mapping of module.json fields`);
  }
  return value as Record<string, unknown>;
}
