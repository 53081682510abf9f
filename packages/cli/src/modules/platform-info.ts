import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { arch } from 'node:os';

/** The names RS and RAMP use for CPU architectures. */
export function moduleArchitecture(nodeArch: string = arch()): string {
  const names: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386' };
  return names[nodeArch] ?? nodeArch;
}

/** The OS a module was built on, as `<id><version>` from /etc/os-release (debian12, rhel9, ubuntu22.04). */
export async function moduleOs(osRelease = '/etc/os-release'): Promise<string> {
  try {
    const text = await readFile(osRelease, 'utf8');
    const field = (name: string) => new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
    const id = field('ID');
    return id ? `${id}${field('VERSION_ID')}` : process.platform;
  } catch {
    return process.platform;
  }
}

/** RAMP's git_sha: the commit of the repository the module was built in ('' outside one, or without git). */
export function gitSha(dir: string): Promise<string> {
  return new Promise(resolve => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd: dir, timeout: 5000 }, (err, stdout) => {
      resolve(err ? '' : stdout.trim());
    });
  });
}
