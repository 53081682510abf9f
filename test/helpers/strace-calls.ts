import { spawnSync } from 'node:child_process';

/** strace is installed: tests that read the order of system calls skip without it. */
export const STRACE = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

/** One traced call: `fsync <path>` or `rename <from> -> <to>`. */
export type Call = { kind: 'fsync'; path: string } | { kind: 'rename'; from: string; to: string };

/** strace's arguments before the program: fsync and rename calls of every thread, fds shown as paths, into `traceFile`. */
export function fsyncRenameTraceArgs(traceFile: string): string[] {
  return ['-f', '-qq', '-y', '--seccomp-bpf', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', '-o', traceFile];
}

/** fsync (fd shown as its path by -y) and rename calls from every thread, in the order they happened. */
export function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  for (const line of text.split('\n')) {
    const fsync = /\b(?:fsync|fdatasync)\(\d+<([^>]+)>\) = 0/.exec(line);
    if (fsync) calls.push({ kind: 'fsync', path: fsync[1]! });
    const rename = /\brename(?:at2?)?\((?:AT_FDCWD(?:<[^>]*>)?, )?"([^"]+)", (?:AT_FDCWD(?:<[^>]*>)?, )?"([^"]+)"/.exec(
      line,
    );
    if (rename && / = 0$/.test(line)) calls.push({ kind: 'rename', from: rename[1]!, to: rename[2]! });
  }
  return calls;
}

/** Index of the first call matching, after `from`; fails the test with the trace when missing. */
export function find(calls: Call[], from: number, what: string, match: (call: Call) => boolean): number {
  const at = calls.findIndex((call, index) => index > from && match(call));
  if (at === -1) throw new Error(`no ${what} after call #${from} in:\n${calls.map(c => JSON.stringify(c)).join('\n')}`);
  return at;
}

export const fsyncOf = (test: (path: string) => boolean) => (call: Call) => call.kind === 'fsync' && test(call.path);
