import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Io } from './client-context.js';
import { bashCompletion, commandTree } from './completion-command.js';
import { registerClientCommands } from './register-client-commands.js';

const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} } as unknown as Io;

describe('shell completion from the command tree', () => {
  it('lists nested subcommands and each command its own flags, and follows commands added later', () => {
    const program = new Command('modfleet');
    registerClientCommands(program, io);
    program.command('added-later').option('--shiny');
    const tree = commandTree(program);
    expect(tree.get('')?.subcommands).toEqual(expect.arrayContaining(['nodes', 'push', 'context', 'added-later']));
    expect(tree.get('nodes')?.subcommands).toEqual(['rm']);
    expect(tree.get('context')?.subcommands).toEqual(['list', 'use', 'rm']);
    expect(tree.get('push')?.flags).toEqual(expect.arrayContaining(['--node', '--nodes', '-o', '--context']));
    expect(tree.get('added-later')?.flags).toContain('--shiny');
    const script = bashCompletion(program);
    expect(script).toContain("'nodes') echo 'rm' ;;");
    expect(script).toContain('complete -o filenames -F _modfleet modfleet');
  });
});
