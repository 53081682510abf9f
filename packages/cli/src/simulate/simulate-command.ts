import type { Command } from 'commander';
import { exitWithError } from '../fail.js';
import { positiveInteger } from '../load/load-options.js';
import { addServiceOptions, envWithFlags } from '../service-options.js';

/** `modfleet simulate`: many whole agents in one process, to try the coordinator against a large fleet on one machine. */
export function registerSimulateCommand(program: Command): void {
  addServiceOptions(
    program
      .command('simulate')
      .description(
        'run many simulated nodes in one process, each a whole agent: its own data dir <data-dir>/node-<i>, ' +
          'listener (port+i, or any free port with --port 0), node uid, BullMQ worker and heartbeat',
      )
      .requiredOption('-n, --nodes <count>', 'number of simulated nodes', positiveInteger)
      .option('--threads <count>', 'worker threads to spread the nodes over (one event loop each)', positiveInteger, 1),
    'agent',
  ).action(async (flags: Record<string, unknown>) => {
    try {
      const { createLogger, onShutdownSignal } = await import('@modfleet/common');
      const { loadAgentConfig, startSimulatedFleet } = await import('@modfleet/agent');
      const { sliceNodes, startSimulationThread } = await import('./simulation-threads.js');
      const { env, fromFlags } = envWithFlags(flags);
      const config = loadAgentConfig(env, fromFlags);
      if (!config.coordinatorUrl)
        throw new Error('simulate needs --coordinator-url: simulated nodes exist to join a fleet');
      const logger = createLogger({ name: 'simulate', level: config.logLevel });
      const [own, ...others] = sliceNodes(flags.nodes as number, flags.threads as number);
      const threads = others.map(slice => startSimulationThread({ config, ...slice }));
      const fleet = await startSimulatedFleet(config, own!.count, logger, own!.first);
      onShutdownSignal(async () => {
        await Promise.all([fleet.stop(), ...threads.map(thread => thread.stop(30_000))]);
      });
      const uids = (await Promise.all([fleet.registered, ...threads.map(thread => thread.registered)])).flat();
      logger.info({ nodes: uids.length, first_uid: uids[0], last_uid: uids.at(-1) }, 'simulated nodes registered');
    } catch (err) {
      exitWithError(err);
    }
  });
}
