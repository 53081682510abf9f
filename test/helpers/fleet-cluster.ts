import { readdir } from 'node:fs/promises';
import { createFleetClient } from './fleet-client.js';
import { createFleetProcesses } from './fleet-processes.js';
import { FLEET_ADMIN, type FleetCluster, type FleetClusterOptions } from './fleet-types.js';
import { uniquePrefix } from './redis.js';

export * from './fleet-types.js';
export { pollFor, type WaitOptions } from './poll.js';

/** Like Promise.all, but waits for every promise before rejecting: nothing is still starting when stop() runs. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find(result => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Files in a folder (none when it does not exist). */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/**
 * A coordinator and N agents as real `modfleet` processes on free ports, sharing one Redis
 * under a prefix no other test uses. Every agent has its own data dir; restarts keep port and dir.
 */
export async function startFleetCluster(options: FleetClusterOptions = {}): Promise<FleetCluster> {
  const prefix = options.prefix ?? uniquePrefix();
  const processes = await createFleetProcesses(prefix, options);
  const { coordinator, agents } = processes;
  const running = () => agents.filter(agent => agent.process?.isRunning()).map(agent => agent.uid);
  const cluster: FleetCluster = {
    ...processes,
    ...createFleetClient(coordinator.url, running),
    prefix,
    admin: FLEET_ADMIN,
    agent(uid) {
      const found = agents.find(agent => agent.uid === uid);
      if (!found) throw new Error(`no agent holds node uid ${uid}`);
      return found;
    },
  };
  try {
    await processes.startCoordinator();
    const initial = await Promise.all(Array.from({ length: options.nodes ?? 3 }, () => processes.newAgent()));
    await settleAll(initial.map(agent => processes.spawnAgent(agent)));
    await settleAll(initial.map(agent => processes.awaitRegistration(agent)));
    agents.push(...initial.sort((a, b) => a.uid - b.uid));
    await cluster.waitForNodes();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
