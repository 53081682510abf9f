import type { Command } from 'commander';
import { exitWithError } from './fail.js';
import { addServiceOptions, envWithFlags } from './service-options.js';

const COMMON = [
  'REDIS_URL',
  'MODFLEET_HOST',
  'MODFLEET_PORT',
  'MODFLEET_DATA_DIR',
  'MODFLEET_PREFIX',
  'MODFLEET_CLUSTER_SECRET',
  'MODFLEET_MAX_ARTIFACT_BYTES',
  'MODFLEET_TLS_CERT',
  'MODFLEET_TLS_KEY',
  'MODFLEET_METRICS_PUBLIC',
  'LOG_LEVEL',
];
const COORDINATOR_ONLY = ['MODFLEET_ADMIN_EMAIL', 'MODFLEET_ADMIN_PASSWORD'];
const AGENT_ONLY = ['MODFLEET_COORDINATOR_URL', 'MODFLEET_NODE_ID', 'MODFLEET_REDIS_SERVER'];

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
    [...COMMON, ...COORDINATOR_ONLY],
  ).action(async (flags: Record<string, unknown>) => {
    // Loaded on demand: client commands should not pay for the whole service at start-up.
    const { loadCoordinatorConfig, startCoordinator } = await import('@modfleet/coordinator');
    await runUntilSignal(() => startCoordinator(loadCoordinatorConfig(envWithFlags(flags))));
  });

  addServiceOptions(program.command('agent').description("run a node agent: this node's local artifact routes"), [
    ...COMMON,
    ...AGENT_ONLY,
  ]).action(async (flags: Record<string, unknown>) => {
    const { loadAgentConfig, startAgent } = await import('@modfleet/agent');
    await runUntilSignal(() => startAgent(loadAgentConfig(envWithFlags(flags))));
  });
}
