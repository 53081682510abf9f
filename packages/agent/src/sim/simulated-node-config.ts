import { join } from 'node:path';
import type { AgentConfig } from '../config.js';

/**
 * Node `index` of a simulation: its own data dir under the simulation's, the next port after
 * the one before it (or any free port for port 0), and the next claimed uid when one is given.
 */
export function simulatedNodeConfig(config: AgentConfig, index: number): AgentConfig {
  return {
    ...config,
    dataDir: join(config.dataDir, `node-${index}`),
    port: config.port === 0 ? 0 : config.port + index,
    nodeId: config.nodeId === undefined ? undefined : config.nodeId + index,
  };
}
