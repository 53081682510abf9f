import { pollUntil, type Logger, type UpgradeHeading } from '@modfleet/common';
import type { BdbRecord, ShardPlacement } from '../bdb-store.js';
import { describeShard, masterOf, replicaOf, sameModules, shardOps, type ShardOpsDeps } from './rolling-restart.js';
import type { UpgradeJobData } from './upgrade-job.js';
import { DatabaseDeleted, deletedUnder } from './database-deleted.js';
import { UpgradeMachine } from './upgrade-machine.js';

export interface UpgradeRunnerDeps extends ShardOpsDeps {
  logger: Logger;
  now?: () => number;
  /** Tests only: each state entered is held this long before the job goes on (a fault lands in it). */
  stateHoldMs?: number;
  /** How long a job waits for the route that queued it to begin the change (it queues first). */
  beginWaitMs?: number;
}

/**
 * The job's machine once the route began the change. Never begun within the wait (the route's
 * coordinator died, or it answered 409 db_busy), the job gives the change up, which keeps a late
 * begin out, and there is nothing to run. No machine is saved for it: nobody was handed its uid.
 */
async function begunMachine(deps: UpgradeRunnerDeps, job: UpgradeJobData, now: () => number) {
  const load = () => UpgradeMachine.load(deps.store, job.action_uid, now, deps.stateHoldMs);
  const begun = await pollUntil(load, machine => machine !== undefined, {
    intervalMs: 20,
    timeoutMs: deps.beginWaitMs ?? 10_000,
  });
  if (begun.value) return begun.value;
  if (!(await deps.store.abandonChange(job.action_uid))) return load();
  deps.logger.warn(
    { action_uid: job.action_uid, bdb: job.bdb_uid },
    'upgrade job never begun (its request stopped or was refused first): given up, nothing restarted',
  );
  return undefined;
}

const versions = (job: UpgradeJobData, pick: 'from' | 'to') =>
  job.changes.map(c => `${c.module_name} ${c[pick].semantic_version}`).join(', ');

/**
 * Runs (or resumes) one SMUpgradeBDB: every step reads where the database is from its record and
 * its shards, so a job a dead coordinator left is taken over by another one and goes on from
 * there, the way the machine's heading says. On a failure the database ends on one version
 * (forward when the master already moved, back otherwise), `active`, and the machine `failed`
 * with why.
 */
export async function runUpgrade(deps: UpgradeRunnerDeps, job: UpgradeJobData): Promise<void> {
  const now = deps.now ?? Date.now;
  const machine = await begunMachine(deps, job, now);
  if (!machine?.active) return;
  const ops = shardOps(deps);
  const load = async () => {
    const record = await deps.store.get(job.bdb_uid);
    if (deletedUnder(record)) throw new DatabaseDeleted(job.bdb_uid);
    return record!;
  };

  /** Notes on the restart state and in the log how the restarted replica resynced. */
  async function noteResync(replica: ShardPlacement, how: 'partial' | 'full' | undefined) {
    if (!how) return;
    deps.logger.info(
      { action_uid: job.action_uid, bdb: job.bdb_uid, shard: replica.plan.shard_uid, resync: how },
      how === 'partial' ? 'restarted replica resynced partially' : 'restarted replica needed a full sync',
    );
    await machine!.annotate(
      how === 'partial'
        ? 'resynced partially (+CONTINUE) from the data it saved at shutdown'
        : 'resynced fully (the master sent a full copy)',
    );
  }

  async function replicated() {
    await machine!.enter('check_slaves', 10);
    let oldMasterResynced: (() => Promise<'partial' | 'full' | undefined>) | undefined;
    await ops.running(replicaOf(await load())!);
    for (;;) {
      let record = await load();
      const master = masterOf(record);
      const replica = replicaOf(record)!;
      if (!sameModules(master.plan.modules, job.to)) {
        let resynced: (() => Promise<'partial' | 'full' | undefined>) | undefined;
        if (!sameModules(replica.plan.modules, job.to)) {
          await machine!.enter('restart', 30, `${describeShard(replica)} (replica) on ${versions(job, 'to')}`);
          resynced = await ops.watchResync(master);
          record = ops.withModules(record, replica.plan.shard_uid, job.to);
          await ops.replan(record);
        }
        await ops.running(replicaOf(record)!);
        if (!(await ops.promoted(replica))) {
          await ops.caughtUp(replicaOf(record)!, master);
          if (resynced) await noteResync(replica, await resynced());
        }
        await machine!.enter('failover', 50, `${describeShard(replica)} becomes the master; the endpoint moves to it`);
        // The old master restarts as the new master's replica once the switch's plans are written.
        oldMasterResynced = await ops.watchResync(replica);
        await ops.failover(record, job.to);
        continue;
      }
      const switchedBack = machine!.machine.states?.some(s => s.state === 'second_failover');
      if (!switchedBack) {
        await machine!.enter(
          'restart',
          70,
          `${describeShard(replica)} (the old master, now a replica) on ${versions(job, 'to')}`,
        );
      }
      await ops.running(replica);
      await ops.caughtUp(replica, master);
      if (oldMasterResynced) await noteResync(replica, await oldMasterResynced());
      oldMasterResynced = undefined;
      if (job.preserve_roles && master.plan.shard_uid !== job.master_shard) {
        await machine!.enter(
          'second_failover',
          90,
          `${describeShard(replica)} becomes the master again (preserve_roles)`,
        );
        await ops.failover(record, job.to);
        continue;
      }
      return;
    }
  }

  async function single() {
    let record = await load();
    const shard = masterOf(record);
    if (!sameModules(shard.plan.modules, job.to)) {
      await machine!.enter(
        'restart',
        40,
        `${describeShard(shard)} on ${versions(job, 'to')}: the database is down while it restarts and reloads its data (no replication)`,
      );
      record = ops.withModules(record, shard.plan.shard_uid, job.to);
      await ops.replan(record);
    }
    await ops.running(masterOf(record));
  }

  async function finish(record: BdbRecord) {
    const { action_uid: _done, ...rest } = record;
    await deps.store.save({
      ...rest,
      status: 'active',
      module_list: job.changes.map(c => c.to),
      last_changed_time: new Date(now()).toISOString(),
      last_upgrade: {
        action_uid: job.action_uid,
        from: job.changes.map(c => c.from),
        to: job.changes.map(c => c.to),
        rollback: job.rollback,
        ...(job.rollback_reason && { rollback_reason: job.rollback_reason }),
        finished_at: new Date(now()).toISOString(),
      },
    });
    await machine!.end('completed', `every shard runs ${versions(job, 'to')}`);
  }

  /**
   * One consistent version again: forward when the master already runs the new one, else back;
   * a resumed roll-back goes on the way it went, with the first failure's words.
   */
  async function recover(error: string) {
    const record = await load();
    let heading = machine!.heading;
    if (!heading.failure) {
      // Saved before any shard moves: a job resumed from here goes on the same way, whatever the shards say then.
      heading = { toward: sameModules(masterOf(record).plan.modules, job.to) ? 'to' : 'from', failure: error };
      await machine!.turn(
        heading,
        heading.toward === 'to' ? 'rollforward' : 'rollback',
        heading.toward === 'to'
          ? `every shard to ${versions(job, 'to')}: the master already runs it`
          : `every shard back to ${versions(job, 'from')}`,
      );
    }
    const forward = heading.toward === 'to';
    const modules = forward ? job.to : job.from;
    let settled = record;
    for (const shard of record.placement) settled = ops.withModules(settled, shard.plan.shard_uid, modules);
    await ops.replan(settled);
    const waited = await Promise.all(
      settled.placement.map(s =>
        ops.running(s).then(
          () => '',
          (e: Error) => e.message,
        ),
      ),
    );
    const { action_uid: _done, ...rest } = settled;
    await deps.store.save({
      ...rest,
      status: 'active',
      module_list: job.changes.map(c => (forward ? c.to : c.from)),
      last_changed_time: new Date(now()).toISOString(),
    });
    const still = waited.filter(Boolean);
    const where = ended(heading);
    const why = heading.failure ?? error;
    await machine!.end('failed', still.length ? `${where}; not running yet: ${still.join('; ')}` : where, why);
  }

  const ended = (heading: UpgradeHeading) =>
    heading.toward === 'to'
      ? `rolled forward: every shard on ${versions(job, 'to')}`
      : `rolled back: every shard on ${versions(job, 'from')}`;

  /** A run that stopped after the record was settled (finish, recover) ends the machine the way it went. */
  async function settledAlready(record: BdbRecord): Promise<boolean> {
    if (record.action_uid === job.action_uid) return false;
    const { failure } = machine!.heading;
    if (failure) await machine!.end('failed', ended(machine!.heading), failure);
    else await machine!.end('completed', `every shard runs ${versions(job, 'to')}`);
    return true;
  }

  async function run() {
    if (machine!.begun)
      await machine!.annotate('resumed here (the run before stopped: its coordinator died or it failed)');
    const failure = machine!.heading.failure;
    try {
      const record = await load();
      if (await settledAlready(record)) return;
      if (failure) return await recover(failure);
      await machine!.enter('prepare', 5);
      if (record.replication && replicaOf(record)) await replicated();
      else await single();
      await finish(await load());
      deps.logger.info({ action_uid: job.action_uid, bdb: job.bdb_uid }, 'database upgrade completed');
    } catch (err) {
      if (err instanceof DatabaseDeleted) throw err;
      const error = err instanceof Error ? err.message : String(err);
      deps.logger.warn({ action_uid: job.action_uid, bdb: job.bdb_uid, error }, 'database upgrade failed');
      await recover(error);
    }
  }

  try {
    await run();
  } catch (err) {
    if (!(err instanceof DatabaseDeleted)) throw err;
    // Its shards are the delete's now: nothing is restarted or rolled back.
    deps.logger.warn({ action_uid: job.action_uid, bdb: job.bdb_uid }, 'database deleted during its upgrade');
    await machine.end('failed', err.message, err.message);
  }
}
