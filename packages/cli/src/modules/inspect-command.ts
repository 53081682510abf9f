import type { Command } from 'commander';
import { addOutputOption, clientCommand, type Io } from '../client/client-context.js';
import type { InspectFlags } from './inspect-zip.js';

export function registerInspectCommand(program: Command, io: Io): void {
  addOutputOption(
    clientCommand(program, 'inspect', io)
      .argument('<artifact.zip>', 'an RS module artifact')
      .description(
        'print and lint module.json (zip layout, field types, routing data, capabilities) and, with a redis-server, check it against the .so; exit 1 on errors',
      )
      .option('--redis-server <path>', 'redis-server to load the .so into (default: redis-server on PATH)')
      .option('--no-load', 'lint module.json only; do not load the .so'),
  ).action(async (file: string, flags: InspectFlags) => {
    const { runInspect } = await import('./inspect-zip.js');
    await runInspect(io, file, flags);
  });
}
