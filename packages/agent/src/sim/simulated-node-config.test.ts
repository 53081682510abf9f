import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../config.js';
import { simulatedNodeConfig } from './simulated-node-config.js';

const base = (extra: Record<string, string> = {}) =>
  loadAgentConfig({ MODFLEET_DATA_DIR: '/srv/sim', MODFLEET_COORDINATOR_URL: 'http://127.0.0.1:9443', ...extra });

describe('simulatedNodeConfig', () => {
  it('gives each node its own data dir under the simulation one, so each has its own store and uid file', () => {
    const dirs = [0, 1, 499].map(index => simulatedNodeConfig(base(), index).dataDir);
    expect(dirs).toEqual([join('/srv/sim', 'node-0'), join('/srv/sim', 'node-1'), join('/srv/sim', 'node-499')]);
  });

  it('puts node i on port + i, and every node on a free port when the port is 0', () => {
    expect([0, 1, 7].map(index => simulatedNodeConfig(base({ MODFLEET_PORT: '20000' }), index).port)).toEqual([
      20000, 20001, 20007,
    ]);
    expect([0, 1, 7].map(index => simulatedNodeConfig(base({ MODFLEET_PORT: '0' }), index).port)).toEqual([0, 0, 0]);
  });

  it('claims consecutive node uids from MODFLEET_NODE_ID, and none when it is unset', () => {
    expect([0, 3].map(index => simulatedNodeConfig(base({ MODFLEET_NODE_ID: '100' }), index).nodeId)).toEqual([
      100, 103,
    ]);
    expect(simulatedNodeConfig(base(), 3).nodeId).toBeUndefined();
  });

  it('keeps everything else as given: the same coordinator, Redis and prefix for every node', () => {
    const config = base({ MODFLEET_PREFIX: 'simfleet' });
    const node = simulatedNodeConfig(config, 5);
    expect({ ...node, dataDir: config.dataDir, port: config.port, nodeId: config.nodeId }).toEqual(config);
  });
});
