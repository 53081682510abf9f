/**
 * A coordinator process and one `modfleet simulate` process holding `nodes` simulated agents,
 * under a fresh bench prefix, for the scale bench. Both are the built CLI.
 */
import { routes, type NodeView } from '@modfleet/common';
import { fleetCall } from '../../test/helpers/fleet-client.js';
import { FLEET_ADMIN, FLEET_SECRET } from '../../test/helpers/fleet-types.js';
import { pollFor } from '../../test/helpers/poll.js';
import {
  freePort,
  MODFLEET_BIN,
  runProcess,
  servicePorts,
  waitHealthy,
  type ModfleetProcess,
} from '../../test/helpers/processes.js';
import { deletePrefix, REDIS_URL } from '../../test/helpers/redis.js';
import { removeDir } from '../../test/helpers/tmp-dir.js';
import { requestJson } from './fleet-http.js';
import { benchPrefix, benchTmpDir, type Cleanup } from './util.js';

export interface SimCluster {
  prefix: string;
  coordinatorUrl: string;
  coordinator: ModfleetProcess;
  simulation: ModfleetProcess;
  stop(): Promise<void>;
}

const plainNode = process.env.NODE_OPTIONS?.includes('tsx') ? { NODE_OPTIONS: undefined } : {};

export async function startSimCluster(
  nodes: number,
  cleanup: Cleanup,
  /** Node flags for both processes (--cpu-prof). */
  options: { coordinatorArgs?: string[]; threads?: number } = {},
): Promise<SimCluster> {
  const prefix = benchPrefix('sim-scale');
  const coordinatorDir = await benchTmpDir('sim-coordinator');
  const simDir = await benchTmpDir('sim-nodes');
  const port = await freePort();
  const coordinatorUrl = `http://127.0.0.1:${port}`;
  const shared = {
    ...plainNode,
    REDIS_URL,
    MODFLEET_PREFIX: prefix,
    MODFLEET_CLUSTER_SECRET: FLEET_SECRET,
    LOG_LEVEL: 'warn',
  };
  // Node flags (--cpu-prof) go on the command line: NODE_OPTIONS refuses them.
  const coordinator = runProcess(
    process.execPath,
    [...(options.coordinatorArgs ?? []), MODFLEET_BIN, 'coordinator'],
    {
      ...shared,
      // Plain HTTP on `port` (HTTPS, the default, beside it): the bench and the simulated nodes call it so.
      ...(await servicePorts(port)),
      MODFLEET_DATA_DIR: coordinatorDir,
      MODFLEET_ADMIN_EMAIL: FLEET_ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: FLEET_ADMIN.password,
    },
    'coordinator',
  );
  const simulation: { process?: ModfleetProcess } = {};
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await simulation.process?.stop('SIGTERM', 60_000).catch(() => simulation.process?.kill());
      await coordinator.stop('SIGTERM', 30_000).catch(() => coordinator.kill());
      await deletePrefix(prefix);
      await removeDir(coordinatorDir);
      await removeDir(simDir);
    })());
  cleanup.add(`sim cluster ${prefix}`, stop);
  await waitHealthy(coordinatorUrl, coordinator, 30_000);
  // A load check is a redis-server process per node per install: real nodes run it on their own
  // CPUs, here 500 of them would share this machine's 2 cores and measure that, not the fleet.
  const settings = await fleetCall(coordinatorUrl, routes.cluster, {
    method: 'PUT',
    json: { module_load_check: 'off' },
  });
  if (settings.status !== 200) throw new Error(`PUT ${routes.cluster} answered ${settings.status}`);
  const sim = runProcess(
    process.execPath,
    [
      ...(options.coordinatorArgs ?? []),
      MODFLEET_BIN,
      'simulate',
      '--nodes',
      String(nodes),
      '--port',
      '0',
      '--data-dir',
      simDir,
      '--coordinator-url',
      coordinatorUrl,
      '--threads',
      String(options.threads ?? 1),
    ],
    shared,
    'simulate',
  );
  simulation.process = sim;
  await pollFor(
    async () => {
      if (!sim.isRunning()) throw new Error(`simulate exited while starting:\n${sim.output()}`);
      const res = await requestJson<NodeView[]>('GET', `${coordinatorUrl}${routes.nodes}`);
      return res.body.filter(node => node.status === 'active').length;
    },
    active => active === nodes,
    `${nodes} simulated nodes active`,
    { timeoutMs: 180_000, intervalMs: 500 },
  );
  return { prefix, coordinatorUrl, coordinator, simulation: sim, stop };
}
