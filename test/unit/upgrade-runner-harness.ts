import { createLogger, shardPlanDigest, type NodeView, type ShardPlan } from '@modfleet/common';
import type { BdbRecord, ShardAddress, ShardControl, UpgradeJobData } from '@modfleet/coordinator';
import { createFakeBdbStore, type FakeBdbStore } from '@modfleet/coordinator/testing';
import { bdbRecord, entryOf, MFVER } from './bdb-upgrade-harness.js';

export const [v100, v110] = MFVER as [(typeof MFVER)[0], (typeof MFVER)[0]];
export const from = [{ module_name: 'mfver', version: 10000, module_args: '' }];
export const to = [{ module_name: 'mfver', version: 10100, module_args: '' }];

/** Shards by port: their role and offset, as the fake ShardControl and the fake agents keep them. */
interface FakeShard {
  role: 'master' | 'slave';
  offset: number;
}

/**
 * The runner on fakes: the store's replan plays the agents (each plan reported running under its
 * digest, or failed when `refuse` says so), ShardControl keeps roles and offsets.
 */
export function setupRunner(options: { refuse?: (plan: ShardPlan) => string | undefined; record?: BdbRecord } = {}) {
  const store: FakeBdbStore = createFakeBdbStore();
  const faults = new CoordinatorFaults();
  faults.refuse = options.refuse;
  const shards = new Map<number, FakeShard>([
    [12000, { role: 'master', offset: 100 }],
    [12001, { role: 'slave', offset: 100 }],
  ]);
  const calls: string[] = [];
  const agentsRun = (record: BdbRecord) => {
    for (const { node_uid, plan } of record.placement) {
      const error = faults.refuse?.(plan);
      store.report(plan.shard_uid, {
        node_uid,
        state: error ? 'failed' : 'running',
        plan_digest: shardPlanDigest(plan),
        updated_at: '',
        ...(error && { error }),
      });
    }
  };
  const replan = store.replan.bind(store);
  store.replan = async record => {
    const written = await replan(record);
    if (written) agentsRun(record);
    return written;
  };
  const control: ShardControl = {
    replication: ({ port }: ShardAddress) => {
      const shard = shards.get(port)!;
      return Promise.resolve({ role: shard.role, offset: shard.offset, linkUp: shard.role === 'slave' });
    },
    pauseWrites: ({ port }) => {
      calls.push(`pause ${port}`);
      return Promise.resolve();
    },
    unpause: () => Promise.resolve(),
    replicaOf: ({ port }, of) => {
      calls.push(of ? `replicaof ${port} ${of.port}` : `promote ${port}`);
      shards.get(port)!.role = of ? 'slave' : 'master';
      return Promise.resolve();
    },
    demote: (shard, of) => control.replicaOf(shard, of),
  };
  const nodes = {
    list: () => Promise.resolve([1, 2].map(uid => ({ uid, url: `https://127.0.0.${uid + 1}:9443` }) as NodeView)),
  };
  const record = options.record ?? bdbRecord(v100);
  const job: UpgradeJobData = {
    action_uid: 'a1',
    bdb_uid: 1,
    master_shard: 1,
    from,
    to,
    changes: [{ module_name: 'mfver', from: entryOf(v100), to: entryOf(v110) }],
    preserve_roles: false,
    rollback: 'possible',
  };
  const deps = {
    store: faults.mortal(store),
    shards: faults.mortal(control),
    nodes,
    logger: createLogger({ name: 'test', level: 'silent' }),
    pollMs: 1,
    stepTimeoutMs: 200,
  };
  const create = async () => {
    await store.create(record, {
      action_uid: 'c',
      name: 'SMCreateBDB',
      object_name: 'bdb:1',
      status: 'completed',
      progress: 100,
      heartbeat: 0,
      creation_time: 0,
    });
    agentsRun(record);
  };
  /** What the route does once the job is queued: the record pending, the machine saved; false when refused. */
  const beginChange = () =>
    store.beginChange(
      { ...record, status: 'active-change-pending', action_uid: 'a1' },
      {
        action_uid: 'a1',
        name: 'SMUpgradeBDB',
        object_name: 'bdb:1',
        status: 'active',
        progress: 0,
        heartbeat: 0,
        creation_time: 0,
        states: [{ state: 'init', at: 0 }],
        modules: job.changes,
      },
    );
  const begin = async () => {
    await create();
    await beginChange();
  };
  return { store, shards, calls, job, deps, create, beginChange, begin, faults };
}

/**
 * A coordinator SIGKILLed on fakes: once `dieWhen` says so after a call to the store or the shards
 * (which went through: it was saved, sent), every later call throws, so the run stops where it
 * was, as a dead process would; `revive()` lets a new run (the job taken over) go on.
 */
export class CoordinatorFaults {
  refuse: ((plan: ShardPlan) => string | undefined) | undefined;
  dieWhen: ((call: string, arg: unknown) => boolean) | undefined;
  private dead = false;

  /** Dies once the state machine is saved in `state` (the runner entered it). */
  dieAtState(state: string): void {
    this.dieWhen = (call, arg) => call === 'saveStateMachine' && (arg as { state?: string }).state === state;
  }

  revive(): void {
    this.dead = false;
    this.dieWhen = undefined;
  }

  mortal<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, name, receiver) => {
        const value: unknown = Reflect.get(object, name, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]): Promise<unknown> => {
          if (this.dead) throw new Error('the coordinator died');
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(object, args);
          if (this.dieWhen?.(String(name), args[0])) this.dead = true;
          return result;
        };
      },
    });
  }
}
