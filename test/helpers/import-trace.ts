import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTmpDir, removeDir } from './tmp-dir.js';

const REGISTER = fileURLToPath(new URL('./import-trace-register.js', import.meta.url));

export interface TracedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The packages the process loaded, by name (`undici`, `@peculiar/x509`), each once. */
  packages: string[];
  /** Every file URL it resolved. */
  urls: string[];
}

/** `@scope/name` or `name` of a URL under node_modules (the innermost one). */
export function packageOf(url: string): string | undefined {
  const match = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match?.[1];
}

/** Runs `node <args>` with its imports recorded: what a command line makes the CLI load. */
export async function traceImports(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<TracedRun> {
  const dir = await makeTmpDir('modfleet-import-trace');
  const traceFile = join(dir, 'trace.txt');
  try {
    const child = spawn(process.execPath, ['--import', REGISTER, ...args], {
      env: { ...env, MODFLEET_IMPORT_TRACE: traceFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    const urls = [...new Set((await readFile(traceFile, 'utf8')).split('\n').filter(line => line !== ''))];
    const packages = [...new Set(urls.map(packageOf).filter(name => name !== undefined))].sort();
    return { code, stdout, stderr, packages, urls };
  } finally {
    await removeDir(dir);
  }
}
