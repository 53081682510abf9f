import type { NodeHostFacts } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { NODE_DOWN_AFTER_MS, toNodeObject, type NodeRecord } from './node-object.js';

const NOW = Date.parse('2026-01-02T03:04:05.000Z');
const record: NodeRecord = {
  uid: 3,
  addr: 'http://10.0.0.3:9443',
  instance_id: 'i-3',
  registered_at: '2026-01-01T00:00:00.000Z',
};
const host: NodeHostFacts = {
  architecture: 'x86_64',
  cores: 4,
  total_memory: 8 * 1024 ** 3,
  os_family: 'debian',
  os_name: 'Debian GNU/Linux',
  os_semantic_version: '12',
  os_version: 'Debian GNU/Linux 12 (bookworm)',
  boot_time: new Date(NOW - 3_600_500).toISOString(),
  software_version: '0.1.0',
  persistent_storage_path: '/data',
  persistent_storage_size: 100,
  ephemeral_storage_path: '/data/tmp',
  ephemeral_storage_size: 100,
  supported_database_versions: [{ db_type: 'redis', version: '7.0.15', redis_version: '7.0' }],
};

describe('the RS node object', () => {
  it('shows the host facts, counts uptime from the boot time and stamps the coordinator’s clock', () => {
    const node = toNodeObject({ ...record, host }, NOW - 1_000, NOW);
    const { boot_time: _boot, ...reported } = host;
    expect(node).toMatchObject({
      ...reported,
      uid: 3,
      status: 'active',
      uptime: 3600,
      system_time: '2026-01-02T03:04:05.000Z',
    });
    expect(node).not.toHaveProperty('boot_time');
    expect(node.last_heartbeat).toBe(new Date(NOW - 1_000).toISOString());
  });

  it('is down once heartbeats stopped, and shows empty values for a host that reported nothing', () => {
    const node = toNodeObject(record, NOW - NODE_DOWN_AFTER_MS - 1, NOW);
    expect(node).toMatchObject({
      status: 'down',
      cores: 0,
      architecture: '',
      uptime: 0,
      supported_database_versions: [],
    });
    expect(toNodeObject(record, null, NOW)).toMatchObject({ status: 'down', last_heartbeat: null });
  });
});
