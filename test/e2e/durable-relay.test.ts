import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { FLEET_SECRET, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { pollFor } from '../helpers/poll.js';
import {
  freePort,
  MODFLEET_BIN,
  runProcess,
  servicePorts,
  waitHealthy,
  type ModfleetProcess,
} from '../helpers/processes.js';
import { REDIS_URL } from '../helpers/redis.js';
import { find, fsyncOf, fsyncRenameTraceArgs, parseTrace, STRACE } from '../helpers/strace-calls.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

describe.skipIf(!STRACE)('durable writes: a relayed artifact is fsynced before it is renamed (strace)', () => {
  let fleet: FleetCluster | undefined;
  let agent: ModfleetProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await agent?.kill();
    await fleet?.stop();
    if (dir) await removeDir(dir);
    agent = fleet = dir = undefined;
  });

  it('agent: the pieces pulled for a push reach disk before the file is renamed into its staging folder', async () => {
    fleet = await startFleetCluster({ nodes: 0 });
    dir = await makeTmpDir('modfleet-durable-relay');
    const dataDir = join(dir, 'node');
    const traceFile = join(dir, 'agent.trace');
    const port = await freePort();
    agent = runProcess(
      'strace',
      [...fsyncRenameTraceArgs(traceFile), process.execPath, MODFLEET_BIN, 'agent'],
      {
        REDIS_URL,
        MODFLEET_PREFIX: fleet.prefix,
        MODFLEET_CLUSTER_SECRET: FLEET_SECRET,
        MODFLEET_COORDINATOR_URL: fleet.coordinator.url,
        MODFLEET_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...(await servicePorts(port)),
      },
      'agent (strace)',
    );
    await waitHealthy(`http://127.0.0.1:${port}`, agent, 60_000);
    await pollFor(
      () => fleet!.nodes(),
      nodes => nodes.length === 1 && nodes[0]!.status === 'active',
      'the traced agent registered',
      { timeoutMs: 60_000 },
    );
    const zip = await buildArtifactZip({ manifest: { module_name: 'DurableRelay', version: 1 } });

    const pushed = await fleet.push(zip);
    const action = await fleet.waitForAction(pushed.body.action_uid!, { timeoutMs: 60_000 });
    expect(action.status).toBe('completed');
    // Pulled piece by piece (the relay path), not downloaded whole.
    expect(action.additional_info.pending_ops['1']?.sources).toMatchObject([{ source: 'origin', bytes: zip.length }]);

    const calls = parseTrace(await readFile(traceFile, 'utf8'));
    const relayed = (path: string) => path.startsWith(join(dataDir, 'tmp', 'upload-relay-'));
    const renamed = find(calls, -1, 'rename of the relayed file', c => c.kind === 'rename' && relayed(c.from));
    const from = (calls[renamed] as { from: string }).from;
    const synced = calls.findIndex(fsyncOf(path => path === from));
    expect(synced, `no fsync of ${from} before its rename`).toBeGreaterThan(-1);
    expect(synced).toBeLessThan(renamed);
  });
});
