import { Option, type Command } from 'commander';
import { addClientOptions, clientCommand, runClientCommand, type ClientFlags, type Io } from './client-context.js';
import type { UpgradeFlags } from './db-upgrade-run.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `db upgrade` and `db rollback`: RS's POST /v1/bdbs/<uid>/upgrade, monitored as rladmin does. */
export function registerDbUpgradeCommands(db: Command, io: Io): void {
  const sub = (nameAndArgs: string, description: string) =>
    addClientOptions(clientCommand(db, nameAndArgs, io).description(description));

  sub(
    'upgrade <db>',
    "upgrade a database's modules to the newest installed versions: pre-flight on every node, then a rolling restart",
  )
    .option('--module <name>', 'only this module (repeatable; default: every module the database runs)', collect, [])
    .addOption(
      new Option('--module-args <args>', 'the args the new version loads with').conflicts(['keepArgs', 'clearArgs']),
    )
    .addOption(new Option('--keep-args', 'keep the current args (the default)').conflicts('clearArgs'))
    .addOption(new Option('--clear-args', 'load the new version without args'))
    .option('--dry-run', 'only the pre-flight and the rollback rehearsal: nothing restarts (exit 1 when it fails)')
    .option('--preserve-roles', 'fail over back after the restart, so each shard keeps its role')
    .option('--require-rollback', 'refuse unless the current version can read what the new one writes')
    .option('--may-discard-data', 'allow the upgrade of a database with neither replication nor persistence')
    .option('--force-restart', 'restart the shards even when no version changes')
    .option('--timeout <seconds>', 'how long to follow the upgrade', '900')
    .action(async (ref: string, flags: UpgradeFlags) => {
      await runClientCommand(io, flags, async ctx => {
        const { runUpgrade } = await import('./db-upgrade-run.js');
        return runUpgrade(ctx, ref, flags);
      });
    });

  sub('rollback <db>', 'go back to the module versions before the last upgrade, when its rehearsal said possible')
    .option('--timeout <seconds>', 'how long to follow the rollback', '900')
    .action(async (ref: string, flags: ClientFlags & { timeout: string }) => {
      await runClientCommand(io, flags, async ctx => {
        const { runRollback } = await import('./db-upgrade-run.js');
        return runRollback(ctx, ref, flags);
      });
    });
}
