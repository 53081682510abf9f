import { readFile } from 'node:fs/promises';
import { inspectArtifact, isAppError } from '@modfleet/common';
import { UsageError } from './client-context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The body of POST /v2/modules/user-defined from a JSON file (`-`: standard input) or an artifact zip's module.json. */
export async function readModuleDefinition(file: string): Promise<unknown> {
  if (file.endsWith('.zip')) {
    try {
      const { manifest, moduleFile } = await inspectArtifact(file);
      // RS's module_file names the .so; a manifest that does not say it gets the one the zip holds.
      return { module_file: moduleFile, ...manifest };
    } catch (err) {
      if (isAppError(err)) throw new UsageError('bad_file', `${file}: ${err.message}`);
      throw err;
    }
  }
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError('bad_file', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError('bad_file', `${file} is not valid JSON: ${(err as Error).message}`);
  }
}
