import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, showCli } from '../helpers/cli-run.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

describe('modfleet completion bash, sourced in a real bash', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await makeTmpDir('modfleet-completion');
    const result = await runCli(['completion', 'bash']);
    expect(result.code, showCli(result)).toBe(0);
    script = join(dir, 'modfleet.bash');
    await writeFile(script, result.stdout);
  });
  afterAll(async () => removeDir(dir));

  /** What bash offers after `modfleet <words>` with the cursor on the last word. */
  const complete = (...words: string[]) => {
    const line = `source ${script}; COMP_WORDS=(modfleet ${words.map(w => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _modfleet; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const bash = spawnSync('bash', ['-c', line], { encoding: 'utf8' });
    expect(bash.stderr).toBe('');
    return bash.stdout.trim().split('\n');
  };

  it('completes commands, nested subcommands and the flags of the command typed', () => {
    expect(complete('no')).toEqual(['nodes']);
    expect(complete('nodes', '')).toEqual(['rm']);
    expect(complete('context', 'u')).toEqual(['use']);
    expect(complete('push', 'x.zip', '--nod')).toEqual(['--nodes', '--node']);
    expect(complete('cluster', 's')).toEqual(['set']);
  });
});
