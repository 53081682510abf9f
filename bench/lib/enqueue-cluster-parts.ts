/**
 * The fleet-enqueue bench's parts that run a real cluster (the built CLI, `npx tsc -b` first):
 * HTTP pushes to a coordinator whose agents are stopped, and Redis memory across many actions.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis, createLogger, createRedis, redisKeys, routes } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { REDIS_URL } from '../../test/helpers/redis.js';
import { writeSmallArtifact, type SmallArtifact } from './artifact.js';
import { analyseMemory, printSample } from './enqueue-memory-report.js';
import { inParallel, NODE_JOBS, NODES, waitingJobs } from './enqueue-rounds.js';
import { startBenchFleet, type BenchFleet } from './fleet-cluster.js';
import { epochMs, fleetDelete, ms, pollAction, pushFile } from './fleet-http.js';
import { waitFinalized } from './fleet-records.js';
import { sampleMemory, kib, type MemorySample } from './fleet-memory.js';
import { processCpuMs } from './process-cpu.js';
import { fixed, type Cleanup } from './util.js';

const DISTINCT_VERSIONS = 50;

/** For information: real HTTP pushes (4 KiB artifacts) to a coordinator whose agents are stopped. */
export async function httpPart(cleanup: Cleanup, dir: string, addBulkMs: number | undefined, httpConcurrency: number) {
  const pushes = Math.ceil(NODE_JOBS / NODES);
  const warm = 10;
  console.log(
    `\n[a, information] ${pushes} HTTP pushes × ${NODES} nodes (node:http, ${httpConcurrency} in flight) ` +
      `to a coordinator whose 3 agents were stopped after registering`,
  );
  const files: SmallArtifact[] = [];
  for (let version = 1; version <= pushes + warm; version += 1)
    files.push(await writeSmallArtifact(dir, 'BenchHttpEnqueue', version));
  const fleet = await startBenchFleet('fleet-enqueue-http', cleanup, { nodes: NODES });
  try {
    for (const agent of fleet.cluster.agents) await fleet.cluster.stopAgent(agent);
    for (const file of files.slice(0, warm)) await pushFile('node', fleet.coordinatorUrl, file.path, file.size);
    const coordinatorPid = fleet.cluster.coordinator.process!.pid;
    const cpuBefore = processCpuMs(coordinatorPid);
    const started = epochMs();
    await inParallel(pushes, httpConcurrency, index =>
      pushFile('node', fleet.coordinatorUrl, files[warm + index]!.path, files[warm + index]!.size),
    );
    const elapsed = epochMs() - started;
    const coordinatorCpuMs = processCpuMs(coordinatorPid) - cpuBefore;
    const logger = createLogger({ name: 'bench', level: 'silent' });
    const redis = createRedis(REDIS_URL, 'http', logger);
    await connectRedis(redis, REDIS_URL);
    const jobs = await waitingJobs(redis, fleet.keys.queuePrefix).finally(() => redis.disconnect());
    if (jobs !== (pushes + warm) * NODES)
      throw new Error(`expected ${(pushes + warm) * NODES} waiting jobs, found ${jobs}`);
    const per1000 = (elapsed * NODE_JOBS) / (pushes * NODES);
    console.log(
      `  ${pushes * NODES} node jobs accepted over HTTP in ${ms(elapsed)} (${ms(elapsed / pushes, 2)} per push, ` +
        `${ms(per1000)} per ${NODE_JOBS} jobs)${addBulkMs ? `; vs addBulk ${fixed(per1000 / addBulkMs)}x` : ''}`,
    );
    console.log(
      `  coordinator CPU ${ms(coordinatorCpuMs, 0)} = ${ms(coordinatorCpuMs / pushes, 2)} per push ` +
        `(${fixed(coordinatorCpuMs / elapsed, 2)} of a core)`,
    );
    return {
      pushes,
      nodeJobs: pushes * NODES,
      elapsedMs: elapsed,
      per1000JobsMs: per1000,
      coordinatorCpuMs,
      coordinatorCpuPerPushMs: coordinatorCpuMs / pushes,
    };
  } finally {
    await fleet.stop();
  }
}

/** Pushes then deletes the same artifacts, `files.length` at a time, until `target` actions are done. */
async function runActions(
  fleet: BenchFleet,
  redis: Redis,
  files: SmallArtifact[],
  from: number,
  target: number,
): Promise<number> {
  let done = from;
  let install = done % (2 * files.length) === 0;
  while (done < target) {
    const batch = files.slice(0, Math.min(files.length, target - done));
    const uids = await Promise.all(
      batch.map(async file =>
        install
          ? (await pushFile('node', fleet.coordinatorUrl, file.path, file.size)).actionUid
          : fleetDelete(fleet.coordinatorUrl, file.name, file.version),
      ),
    );
    if (new Set(uids).size !== uids.length) throw new Error("a push was answered with another push's action");
    const finished = await waitFinalized(redis, fleet.keys, uids, { intervalMs: 5 });
    for (const [uid, action] of finished) {
      if (action.ops.length !== NODES || action.ops.some(op => op.status !== 'completed')) {
        throw new Error(`action ${uid} did not complete on every node: ${JSON.stringify(action.ops)}`);
      }
    }
    // The API agrees with the record (one check per batch).
    const check = await pollAction(fleet.coordinatorUrl, uids[0]!, { intervalMs: 5 });
    if (check.action.status !== 'completed') throw new Error(`GET ${routes.actions} says ${check.action.status}`);
    done += uids.length;
    install = !install;
  }
  return done;
}

export async function memoryPart(cleanup: Cleanup, dir: string, memoryActions: number, extraActions: number) {
  const first = 200;
  const checkpoints = [first, memoryActions, ...(extraActions > 0 ? [memoryActions + extraActions] : [])];
  console.log(
    `\n[b] Redis memory of a real cluster (coordinator + 3 agents) across ${memoryActions} completed actions: ` +
      `push, then delete, the same 10 small artifacts (10 at a time); samples after ${checkpoints.join(', ')} actions`,
  );
  const files: SmallArtifact[] = [];
  for (let k = 0; k < 10; k += 1) files.push(await writeSmallArtifact(dir, `BenchMemory${k}`, 1));
  const fleet = await startBenchFleet('fleet-enqueue-memory', cleanup, { nodes: NODES });
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const redis = createRedis(REDIS_URL, 'http', logger);
  cleanup.add('redis client', () => Promise.resolve(redis.disconnect()));
  await connectRedis(redis, REDIS_URL);
  try {
    const samples: MemorySample[] = [];
    let done = 0;
    const started = epochMs();
    for (const checkpoint of checkpoints) {
      done = await runActions(fleet, redis, files, done, checkpoint);
      await sleep(1_500); // inventory reports, heartbeats and the last events settle
      const sample = await sampleMemory(redis, fleet.prefix, done);
      samples.push(sample);
      console.log(`  ${done} actions completed (${fixed((epochMs() - started) / 1000, 1)} s)`);
      printSample(sample);
    }
    const elapsedS = (epochMs() - started) / 1000;
    const analysis = analyseMemory(samples);
    const distinct = await distinctVersionsProbe(fleet, redis, dir, done);
    return { samples, elapsedS, ...analysis, distinct };
  } finally {
    await fleet.stop();
  }
}

/**
 * The main run reuses 10 names, so per-artifact state cannot grow there. Here: push, then delete,
 * DISTINCT_VERSIONS new versions (how releases usually go) and see what stays once they are gone.
 */
async function distinctVersionsProbe(fleet: BenchFleet, redis: Redis, dir: string, done: number) {
  const files: SmallArtifact[] = [];
  for (let version = 1; version <= DISTINCT_VERSIONS; version += 1) {
    files.push(await writeSmallArtifact(dir, 'BenchMemoryRelease', version));
  }
  console.log(
    `\n  probe: push, then fleet-delete, ${DISTINCT_VERSIONS} distinct versions (${2 * DISTINCT_VERSIONS} more actions)`,
  );
  const before = await sampleMemory(redis, fleet.prefix, done);
  for (let at = 0; at < files.length; at += 10) {
    const batch = files.slice(at, at + 10);
    await runActions(fleet, redis, batch, 0, 2 * batch.length);
  }
  await sleep(1_500);
  const after = await sampleMemory(redis, fleet.prefix, done + 2 * DISTINCT_VERSIONS);
  const nodeOpsBytes = async () =>
    Number(await redis.call('MEMORY', 'USAGE', redisKeys(fleet.prefix).fleetNodeOps, 'SAMPLES', '0'));
  const nodeOpsAfter = await nodeOpsBytes();
  const fleetStateGrowth = after.categories['fleet state'].bytes - before.categories['fleet state'].bytes;
  const added = after.nodeOpsEntries - before.nodeOpsEntries;
  console.log(
    `    fleet artifacts ${before.fleetArtifacts} → ${after.fleetArtifacts} (all deleted); ` +
      `fleet:node-ops ${before.nodeOpsEntries} → ${after.nodeOpsEntries} entries (${kib(nodeOpsAfter)} now), ` +
      `fleet state +${kib(fleetStateGrowth)} = ${fixed(fleetStateGrowth / DISTINCT_VERSIONS, 0)} B per version ever pushed; ` +
      `inflight keys ${after.inflightKeys}`,
  );
  if (added > 0) {
    console.log(
      `    UNBOUNDED: ${redisKeys(fleet.prefix).fleetNodeOps} keeps ${fixed(added / DISTINCT_VERSIONS, 1)} entries per deleted version ` +
        `(one per node), never removed; every fleet view, sync and node join reads it whole (HGETALL)`,
    );
  }
  return {
    versions: DISTINCT_VERSIONS,
    nodeOpsEntriesBefore: before.nodeOpsEntries,
    nodeOpsEntriesAfter: after.nodeOpsEntries,
    nodeOpsBytesAfter: nodeOpsAfter,
    fleetStateGrowthBytes: fleetStateGrowth,
    fleetArtifactsAfter: after.fleetArtifacts,
    inflightKeysAfter: after.inflightKeys,
  };
}
