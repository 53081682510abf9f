import {
  pathTo,
  routes,
  type BdbObject,
  type BdbUpgradeRequest,
  type UpgradeDryRunAnswer,
} from '@modfleet/common/contract';
import { ApiError } from './api-client.js';
import {
  EXIT_FAILED,
  EXIT_OK,
  reportError,
  UsageError,
  type ClientContext,
  type ClientFlags,
} from './client-context.js';
import { resolveUid } from './db-resolve.js';
import { toJson } from './output.js';
import { dbLabel, renderDryRun } from './upgrade-format.js';
import { monitorStateMachine } from './upgrade-monitor.js';

export interface UpgradeFlags extends ClientFlags {
  module: string[];
  moduleArgs?: string;
  keepArgs?: boolean;
  clearArgs?: boolean;
  dryRun?: boolean;
  preserveRoles?: boolean;
  requireRollback?: boolean;
  mayDiscardData?: boolean;
  forceRestart?: boolean;
  timeout: string;
}

/** RS's upgrade body for these flags: modules only (the database's own redis_version), args as asked. */
export function upgradeBody(
  bdb: Pick<BdbObject, 'redis_version' | 'module_list'>,
  flags: UpgradeFlags,
): BdbUpgradeRequest {
  const running = bdb.module_list.map(m => m.module_name);
  for (const name of flags.module) {
    if (!running.includes(name)) {
      throw new UsageError(
        'module_not_in_db',
        `--module ${name}: the database runs ${running.join(', ') || 'no module'}`,
      );
    }
  }
  const newArgs = flags.clearArgs ? '' : flags.moduleArgs;
  let names = flags.module;
  if (newArgs !== undefined && names.length === 0) {
    if (running.length !== 1) {
      throw new UsageError('module_required', `the database runs ${running.join(', ')}: name the one with --module`);
    }
    names = running;
  }
  return {
    redis_version: bdb.redis_version,
    ...(names.length > 0 && {
      modules: names.map(module_name => ({ module_name, ...(newArgs !== undefined && { new_module_args: newArgs }) })),
    }),
    ...(flags.preserveRoles && { preserve_roles: true }),
    ...(flags.mayDiscardData && { may_discard_data: true }),
    ...(flags.forceRestart && { force_restart: true }),
    ...(flags.requireRollback && { modfleet_require_rollback: true }),
  };
}

/** RS's own warning, said before anything restarts. */
export function downtimeWarning(bdb: Pick<BdbObject, 'uid' | 'name' | 'replication' | 'data_persistence'>): string {
  if (bdb.replication) return '';
  const data =
    bdb.data_persistence === 'disabled'
      ? 'it has no persistence either, so its data is lost unless you keep it elsewhere (--may-discard-data)'
      : `it reloads its data from ${bdb.data_persistence} after the restart`;
  return `warning: ${dbLabel(bdb)} has no replication: it is unavailable while its shard restarts; ${data}\n`;
}

const upgradePath = (uid: number) => pathTo(routes.bdbUpgrade, { uid });
/** The coordinator answers an upgrade once every hosting node's pre-flight has (it gives them 60 s). */
const PREFLIGHT_ANSWER_MS = 120_000;

/** Prints the states as they pass, then `Done`; the machine's error and 1 when it fails. */
async function follow(ctx: ClientContext, bdb: BdbObject, actionUid: string, timeoutSeconds: number): Promise<number> {
  const { io, output } = ctx;
  const progress = output === 'json' ? io.stderr : io.stdout;
  // Ctrl-C stops the following, not the upgrade: the state machine goes on in the cluster.
  const onInterrupt = () => {
    io.stderr.write(`\nmodfleet: interrupted: stopped following; ${actionUid} goes on: modfleet db get ${bdb.uid}\n`);
    io.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  const { machine, ended } = await monitorStateMachine(ctx.client, actionUid, {
    intervalMs: io.pollIntervalMs,
    timeoutMs: timeoutSeconds * 1000,
    say: text => void progress.write(text),
  }).finally(() => process.off('SIGINT', onInterrupt));
  if (output === 'json') io.stdout.write(toJson(machine));
  if (!ended) {
    io.stderr.write(
      `modfleet: timeout: ${machine.name} ${actionUid} is still in ${machine.state ?? machine.status} after ${timeoutSeconds} s; ` +
        `it goes on: modfleet db get ${bdb.uid}\n`,
    );
    return EXIT_FAILED;
  }
  if (machine.status === 'completed') {
    progress.write('Done\n');
    return EXIT_OK;
  }
  io.stderr.write(`modfleet: upgrade_failed: ${machine.error ?? `${machine.name} ${actionUid} failed`}\n`);
  return EXIT_FAILED;
}

export async function runUpgrade(ctx: ClientContext, ref: string, flags: UpgradeFlags): Promise<number> {
  const { io, client, output } = ctx;
  const bdb = await client.get<BdbObject>(pathTo(routes.bdb, { uid: await resolveUid(client, ref) }));
  const body = upgradeBody(bdb, flags);
  io.stderr.write(downtimeWarning(bdb));
  if (flags.dryRun) {
    const answer = await client.post<UpgradeDryRunAnswer>(`${upgradePath(bdb.uid)}?dry_run=true`, body, {
      timeoutMs: PREFLIGHT_ANSWER_MS,
    });
    io.stdout.write(output === 'json' ? toJson(answer) : renderDryRun(answer, bdb));
    const refused =
      !answer.preflight.ok || (flags.requireRollback === true && answer.preflight.rollback !== 'possible');
    return refused ? EXIT_FAILED : EXIT_OK;
  }
  try {
    const started = await client.post<BdbObject & { action_uid: string }>(upgradePath(bdb.uid), body, {
      timeoutMs: PREFLIGHT_ANSWER_MS,
    });
    return await follow(ctx, bdb, started.action_uid, Number(flags.timeout));
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'module_downgrade_unsupported') throw err;
    const code = reportError(io, err, flags);
    io.stderr.write(
      `modfleet: hint: to go back to the versions before the last upgrade: modfleet db rollback ${bdb.uid}\n`,
    );
    return code;
  }
}

/** Why a rollback was refused, from the bdb's record of its last upgrade. */
function rollbackHint(bdb: BdbObject): string {
  const last = bdb.last_upgrade;
  if (!last) return `${dbLabel(bdb)} has no finished upgrade to roll back`;
  if (last.rollback === 'impossible') {
    return `the rehearsal before upgrade ${last.action_uid} found the old version cannot read the new one's data (${last.rollback_reason ?? 'no reason given'}); restore a backup instead`;
  }
  return `the last upgrade was ${last.action_uid}, rollback ${last.rollback.replace('_', ' ')}`;
}

export async function runRollback(
  ctx: ClientContext,
  ref: string,
  flags: ClientFlags & { timeout: string },
): Promise<number> {
  const { io, client, output } = ctx;
  const bdb = await client.get<BdbObject>(pathTo(routes.bdb, { uid: await resolveUid(client, ref) }));
  const progress = output === 'json' ? io.stderr : io.stdout;
  io.stderr.write(downtimeWarning(bdb));
  let started: { action_uid: string };
  try {
    started = await client.post<BdbObject & { action_uid: string }>(
      upgradePath(bdb.uid),
      { modfleet_rollback: true },
      { timeoutMs: PREFLIGHT_ANSWER_MS },
    );
  } catch (err) {
    if (!(err instanceof ApiError) || err.status >= 500) throw err;
    const code = reportError(io, err, flags);
    io.stderr.write(`modfleet: hint: ${rollbackHint(bdb)}\n`);
    return code;
  }
  const last = bdb.last_upgrade;
  if (last) {
    const moves = last.to.map(to => {
      const from = last.from.find(m => m.module_name === to.module_name);
      return `${to.module_name} ${to.semantic_version} -> ${from?.semantic_version ?? '?'}`;
    });
    progress.write(
      `Rolling back ${dbLabel(bdb)}: ${moves.join(', ')} (rehearsal: ${last.rollback.replace('_', ' ')})\n`,
    );
  }
  return follow(ctx, bdb, started.action_uid, Number(flags.timeout));
}
