import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, type CliResult } from './cli-run.js';
import { MODFLEET_BIN, REPO_ROOT } from './processes.js';
import { makeTmpDir, removeDir } from './tmp-dir.js';

const REGISTER = fileURLToPath(new URL('./import-trace-register.js', import.meta.url));

export interface TracedCli extends CliResult {
  /** The packages the process loaded, each once: `undici`, `@peculiar/x509`, `@modfleet/common`. */
  packages: string[];
  /** Every file URL it loaded. */
  urls: string[];
}

/** The package a loaded file belongs to: the innermost node_modules one, or a workspace package's dist. */
export function packageOf(url: string): string | undefined {
  const dependency = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return dependency[1];
  const workspace = /\/packages\/([^/]+)\/dist\//.exec(url)?.[1];
  return workspace === undefined ? undefined : `@modfleet/${workspace}`;
}

/** `modfleet <args>` with every module it loads recorded (test/helpers/import-trace-register.js). */
export async function traceCli(args: string[], env: Record<string, string> = {}): Promise<TracedCli> {
  const dir = await makeTmpDir('modfleet-import-trace');
  const traceFile = join(dir, 'trace.txt');
  try {
    const child = spawn(process.execPath, ['--import', REGISTER, MODFLEET_BIN, ...args], {
      cwd: REPO_ROOT,
      env: cleanEnv({ ...env, MODFLEET_IMPORT_TRACE: traceFile }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    const urls = [...new Set((await readFile(traceFile, 'utf8')).split('\n').filter(line => line !== ''))];
    const packages = [...new Set(urls.map(packageOf).filter(name => name !== undefined))].sort();
    return { code, stdout, stderr, packages, urls };
  } finally {
    await removeDir(dir);
  }
}
