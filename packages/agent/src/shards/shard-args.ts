import type { ShardPlan } from '@modfleet/common';

/** A module file to load and the args RS passes after its path. */
export interface LoadedModule {
  path: string;
  args: string;
}

/** How RS passes module_args: split on whitespace, each word one argument after the path. */
export const splitModuleArgs = (args: string): string[] => args.split(/\s+/).filter(Boolean);

/**
 * redis-server's command line for a shard: bound to the node's address on the plan's port, data
 * and logs in its own folder, maxmemory from memory_size, persistence as asked, its modules loaded.
 */
export function shardArgs(
  plan: ShardPlan,
  options: {
    bind: string;
    dir: string;
    modules: LoadedModule[];
    /**
     * A planned restart of a replica from the dump.rdb it saved at shutdown: that file (it holds
     * the replication id and offset; an AOF does not) is what is loaded, so it resyncs partially.
     * An AOF shard starts with AOF off and has it turned back on once running (shard-resume.ts).
     */
    fromShutdownSnapshot?: boolean;
  },
): string[] {
  const args = [
    '--port',
    String(plan.port),
    '--bind',
    options.bind,
    // Any client of the network reaches the endpoint, as on RS (no password: modfleet sets none).
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
    '--dir',
    options.dir,
    '--pidfile',
    `${options.dir}/redis.pid`,
    '--logfile',
    `${options.dir}/redis.log`,
    // A shard has one replica at most: waiting 5 s for more to share a full sync only delays it
    // (the replica's, and the pre-flight's copy of the data).
    '--repl-diskless-sync-delay',
    '0',
  ];
  if (plan.memory_size > 0) args.push('--maxmemory', String(plan.memory_size));
  if (plan.data_persistence === 'aof' && options.fromShutdownSnapshot)
    args.push('--appendonly', 'no', '--appendfsync', 'always', '--save', '');
  else if (plan.data_persistence === 'aof') args.push('--appendonly', 'yes', '--appendfsync', 'always', '--save', '');
  else if (plan.data_persistence === 'snapshot') args.push('--appendonly', 'no', '--save', '60 1');
  else args.push('--appendonly', 'no', '--save', '');
  if (plan.replica_of) args.push('--replicaof', plan.replica_of.host, String(plan.replica_of.port));
  for (const module of options.modules) args.push('--loadmodule', module.path, ...splitModuleArgs(module.args));
  return args;
}
