import type { Command } from 'commander';
import { exitWithError } from './fail.js';
import { addServiceOptions, envWithFlags } from './service-options.js';

interface Service {
  stop(deadlineMs?: number): Promise<void>;
}

async function runUntilSignal(start: () => Promise<Service>): Promise<void> {
  try {
    const service = await start();
    const { onShutdownSignal } = await import('@modfleet/common');
    onShutdownSignal(() => service.stop());
  } catch (err) {
    exitWithError(err);
  }
}

export function registerServiceCommands(program: Command): void {
  addServiceOptions(
    program
      .command('coordinator')
      .description('run the coordinator: the CCS routes (modules, users, cluster settings)'),
    'coordinator',
  ).action(async (flags: Record<string, unknown>) => {
    // Loaded on demand: client commands should not pay for the whole service at start-up.
    const { loadCoordinatorConfig, startCoordinator } = await import('@modfleet/coordinator');
    const { env, fromFlags } = envWithFlags(flags);
    await runUntilSignal(() => startCoordinator(loadCoordinatorConfig(env, fromFlags)));
  });

  addServiceOptions(
    program.command('agent').description("run a node agent: this node's local artifact routes"),
    'agent',
  ).action(async (flags: Record<string, unknown>) => {
    const { loadAgentConfig, startAgent } = await import('@modfleet/agent');
    const { env, fromFlags } = envWithFlags(flags);
    await runUntilSignal(() => startAgent(loadAgentConfig(env, fromFlags)));
  });
}
