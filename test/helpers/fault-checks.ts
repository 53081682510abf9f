import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { routes, type ActionObject } from '@modfleet/common';
import { expect } from 'vitest';
import { runCli, showCli } from './cli-run.js';
import { FLEET_ADMIN, type FleetAgent, type FleetCluster } from './fleet-cluster.js';
import { pollFor } from './poll.js';

/** Every file under `dir`, as paths relative to it (none when it does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter(entry => entry.isFile())
      .map(entry => join(entry.parentPath, entry.name).slice(dir.length + 1));
  } catch {
    return [];
  }
}

/** Random modules' .so files fail the load check (and each check runs a redis-server): fault tests turn it off. */
export async function loadChecksOff(cluster: FleetCluster): Promise<void> {
  const res = await cluster.api(routes.cluster, { method: 'PUT', json: { module_load_check: 'off' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** `modfleet verify -o json` against the cluster (its nodes serve plain HTTP here): what a user runs to ask whether every node holds what it should. */
export async function expectCleanVerify(cluster: FleetCluster): Promise<void> {
  const result = await runCli(['verify', '--allow-http-nodes', '-o', 'json'], {
    env: {
      MODFLEET_URL: cluster.coordinator.url,
      MODFLEET_USER: FLEET_ADMIN.email,
      MODFLEET_PASSWORD: FLEET_ADMIN.password,
    },
    // Generous: it asks every node for its inventory, on a loaded machine.
    timeoutMs: 60_000,
  });
  expect(result.code, showCli(result)).toBe(0);
  expect((JSON.parse(result.stdout) as { clean: boolean }).clean).toBe(true);
}

/** Each agent's store holds exactly `expected` (folder names `<name>@<version>`), each whole, and nothing in tmp. */
export async function expectStores(agents: FleetAgent[], expected: string[]): Promise<void> {
  for (const agent of agents) {
    const files = (await filesUnder(join(agent.dataDir, 'artifacts'))).sort();
    const whole = expected.flatMap(key => [join(key, 'artifact.json'), join(key, 'module.zip')]).sort();
    expect(files, `${agent.name} artifacts/`).toEqual(whole);
    expect(await filesUnder(agent.tmpDir), `${agent.name} tmp/`).toEqual([]);
  }
}

/** Waits until every action reached a terminal status; returns them. */
export function waitAllTerminal(cluster: FleetCluster, uids: string[], timeoutMs = 90_000): Promise<ActionObject[]> {
  return pollFor(
    () => Promise.all(uids.map(uid => cluster.action(uid))),
    actions => actions.every(action => action.status === 'completed' || action.status === 'failed'),
    `${uids.length} actions to finish`,
    { timeoutMs, intervalMs: 200 },
  );
}
