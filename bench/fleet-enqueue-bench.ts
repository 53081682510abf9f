/**
 * Fleet enqueue bench.
 *
 * (a) 1,000 node jobs enqueued through the coordinator's own dispatcher (createDispatcher with a
 *     real Redis action store and a BullMQ FlowProducer: 333 flows × 3 nodes + 1 flow × 1 node,
 *     16 in flight, no agent consuming) against BullMQ's Queue.addBulk of 1,000 jobs with the
 *     same payloads and options, and a pipeline of 1,000 RPUSH; median of N interleaved rounds.
 *     Then, for information, 334 real HTTP pushes to a coordinator whose 3 agents are stopped.
 * (b) Redis memory of a real cluster (coordinator + 3 agents) across 1,000 completed actions:
 *     pushes and deletes of the same 10 small artifacts (so the fleet's own state stays small),
 *     sampled after 200 and 1,000 actions, then after --extra more to see what keeps growing.
 *
 *   npx tsx bench/fleet-enqueue-bench.ts [--rounds 3] [--concurrency 16] [--actions 1000] [--extra 400]
 *                                        [--http-concurrency 8] [--skip-http] [--skip-memory]
 *
 * (b) and the HTTP part run the built CLI in their own processes: run `npx tsc -b` first.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  connectRedis,
  createLogger,
  createRedis,
  createRedisActionStore,
  FINISHED_JOB_RETENTION,
  NODE_JOB_ATTEMPTS,
  NODE_JOB_BACKOFF,
  nodeQueueName,
  pathTo,
  redisKeys,
  routes,
  type ArtifactJob,
} from '@modfleet/common';
import { FlowProducer, Queue, QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';
import { createDispatcher, createRedisInflightStore, type ActionRequest } from '@modfleet/coordinator';
import { smallArtifactZip } from './lib/artifact.js';
import {
  epochMs,
  fleetDelete,
  ms,
  pollAction,
  processCpuMs,
  pushFile,
  startBenchFleet,
  waitFinalized,
  type BenchFleet,
  holdRepeatedSignals,
} from './lib/fleet-cluster.js';
import { CATEGORIES, growth, kib, mib, sampleMemory, type MemorySample } from './lib/fleet-memory.js';
import {
  checkBuild,
  Cleanup,
  deletePrefix,
  fixed,
  machineLine,
  makeTmpDir,
  median,
  MIB,
  REDIS_URL,
  removeDir,
  sleep,
  uniquePrefix,
  verdict,
  writeResult,
} from './lib/util.js';

const ENQUEUE_TARGET_MS = 1000;
const NODE_JOBS = 1000;
const NODES = 3;
const UNEXPLAINED_FRACTION = 0.1;
const UNEXPLAINED_BYTES = MIB;
const DISTINCT_VERSIONS = 50;

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'http-concurrency': { type: 'string', default: '8' },
    actions: { type: 'string', default: '1000' },
    extra: { type: 'string', default: '400' },
    'skip-http': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
  },
});
const rounds = Number(flags.rounds);
const concurrency = Number(flags.concurrency);
const httpConcurrency = Number(flags['http-concurrency']);
const memoryActions = Number(flags.actions);
const extraActions = Number(flags.extra);

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
async function inParallel(count: number, limit: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

/** 1,000 node ops as pushes to all 3 nodes: 333 × 3 + 1 × 1. */
function plannedPushes(tag: string): ActionRequest[] {
  const requests: ActionRequest[] = [];
  for (let ops = 0, version = 1; ops < NODE_JOBS; version += 1) {
    const nodes = Math.min(NODES, NODE_JOBS - ops);
    const sha256 = randomBytes(32).toString('hex');
    const name = `BenchEnqueue${tag}@${version}`;
    requests.push({
      name: 'install_module_artifact',
      description: `Install ${name} on every node`,
      object_type: 'module_artifact',
      object_uid: name,
      dedupeKey: `install|${name}|${sha256}|all`,
      ops: Array.from({ length: nodes }, (_, index) => ({
        node_uid: index + 1,
        op: 'install' as const,
        module_name: `BenchEnqueue${tag}`,
        version,
        sha256,
        size: 4502,
      })),
    });
    ops += nodes;
  }
  return requests;
}

/** Jobs waiting in node-1..3 under a BullMQ prefix (nothing consumes them). */
async function waitingJobs(redis: Redis, queuePrefix: string): Promise<number> {
  const queueKeys = new QueueKeys(queuePrefix);
  let total = 0;
  for (let node = 1; node <= NODES; node += 1) total += await redis.llen(queueKeys.toKey(nodeQueueName(node), 'wait'));
  return total;
}

interface Connections {
  redis: Redis;
  queueConnection: Redis;
}

/** The dispatcher as the coordinator wires it (main.ts), on its own prefix; `count` pushes timed. */
async function dispatcherRound(
  conns: Connections,
  prefix: string,
  requests: ActionRequest[],
  lanes: number,
): Promise<number> {
  const keys = redisKeys(prefix);
  const flows = new FlowProducer({ connection: conns.queueConnection, prefix: keys.queuePrefix });
  try {
    const dispatcher = createDispatcher({
      inflight: createRedisInflightStore(conns.redis, keys),
      actions: createRedisActionStore(conns.redis, keys),
      flows,
    });
    const started = epochMs();
    await inParallel(requests.length, lanes, async index => {
      const { reused } = await dispatcher.dispatch(requests[index]!);
      if (reused) throw new Error('a distinct push was deduplicated');
    });
    const elapsed = epochMs() - started;
    const jobs = await waitingJobs(conns.redis, keys.queuePrefix);
    const expected = requests.reduce((sum, request) => sum + request.ops.length, 0);
    if (jobs !== expected) throw new Error(`expected ${expected} waiting node jobs, found ${jobs}`);
    return elapsed;
  } finally {
    await flows.close();
  }
}

/** The same 1,000 node jobs (payload and options) added with Queue.addBulk, one call per node queue. */
async function addBulkRound(conns: Connections, prefix: string): Promise<number> {
  const { queuePrefix } = redisKeys(prefix);
  const queues = Array.from(
    { length: NODES },
    (_, index) => new Queue(nodeQueueName(index + 1), { connection: conns.queueConnection, prefix: queuePrefix }),
  );
  try {
    await Promise.all(queues.map(queue => queue.waitUntilReady()));
    const perQueue = queues.map(() => [] as { name: string; data: ArtifactJob; opts: Record<string, unknown> }[]);
    for (let i = 0; i < NODE_JOBS; i += 1) {
      const node = (i % NODES) + 1;
      const action_uid = randomUUID();
      const sha256 = randomBytes(32).toString('hex');
      perQueue[node - 1]!.push({
        name: 'install',
        data: {
          action_uid,
          op_key: `${node}-0`,
          node_uid: node,
          op: 'install',
          module_name: 'BenchEnqueueBulk',
          version: i + 1,
          sha256,
          url: pathTo(routes.blob, { sha256 }),
          size: 4502,
        },
        opts: {
          jobId: `${action_uid}-${node}-0`,
          attempts: NODE_JOB_ATTEMPTS,
          backoff: NODE_JOB_BACKOFF,
          ...FINISHED_JOB_RETENTION,
        },
      });
    }
    const started = epochMs();
    await Promise.all(queues.map((queue, index) => queue.addBulk(perQueue[index]!)));
    const elapsed = epochMs() - started;
    const jobs = await waitingJobs(conns.redis, queuePrefix);
    if (jobs !== NODE_JOBS) throw new Error(`expected ${NODE_JOBS} waiting jobs after addBulk, found ${jobs}`);
    return elapsed;
  } finally {
    await Promise.all(queues.map(queue => queue.close()));
  }
}

/** The floor: 1,000 RPUSH of the same JSON payloads in one pipeline. */
async function rpushRound(conns: Connections, prefix: string): Promise<number> {
  const payloads = Array.from({ length: NODE_JOBS }, (_, i) =>
    JSON.stringify({ action_uid: randomUUID(), op: 'install', module_name: 'BenchEnqueueList', version: i + 1 }),
  );
  const started = epochMs();
  const list = redisKeys(prefix).child('list');
  const tx = conns.redis.pipeline();
  for (const payload of payloads) tx.rpush(list, payload);
  await tx.exec();
  const elapsed = epochMs() - started;
  if ((await conns.redis.llen(list)) !== NODE_JOBS) throw new Error('RPUSH lost items');
  return elapsed;
}

async function enqueuePart(cleanup: Cleanup) {
  console.log(
    `\n[a] ${NODE_JOBS} node jobs: coordinator dispatcher (flows of 3, ${concurrency} in flight) ` +
      `vs Queue.addBulk vs RPUSH pipeline; ${rounds} rounds interleaved, order rotating`,
  );
  const prefix = uniquePrefix('fleet-enqueue');
  const round = redisKeys(prefix).child;
  cleanup.add(`redis keys ${prefix}`, () => deletePrefix(prefix));
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const redis = createRedis(REDIS_URL, 'http', logger);
  const queueConnection = createRedis(REDIS_URL, 'worker', logger);
  cleanup.add('redis connections', () => Promise.allSettled([redis.quit(), queueConnection.quit()]));
  await connectRedis(redis, REDIS_URL);
  await connectRedis(queueConnection, REDIS_URL);
  const conns = { redis, queueConnection };

  // Warm-up: scripts loaded in Redis and in the clients, connections open.
  await dispatcherRound(conns, round('warm-d'), plannedPushes('Warm').slice(0, 20), concurrency);
  await addBulkRound(conns, round('warm-b'));
  await rpushRound(conns, round('warm-r'));

  const dispatcherMs: number[] = [];
  const addBulkMs: number[] = [];
  const rpushMs: number[] = [];
  for (let n = 1; n <= rounds; n += 1) {
    const sides = [
      async () => dispatcherMs.push(await dispatcherRound(conns, round(`d${n}`), plannedPushes(`R${n}`), concurrency)),
      async () => addBulkMs.push(await addBulkRound(conns, round(`b${n}`))),
      async () => rpushMs.push(await rpushRound(conns, round(`r${n}`))),
    ];
    for (let i = 0; i < sides.length; i += 1) await sides[(i + n - 1) % sides.length]!();
    console.log(
      `  round ${n}: dispatcher ${ms(dispatcherMs.at(-1)!)}, addBulk ${ms(addBulkMs.at(-1)!)}, RPUSH ${ms(rpushMs.at(-1)!)}`,
    );
  }
  const sequential = await dispatcherRound(conns, round('seq'), plannedPushes('Seq'), 1);
  const pushes = plannedPushes('Count').length;
  console.log(
    `  for information: the same ${pushes} dispatches one at a time: ${ms(sequential)} (${ms(sequential / pushes, 2)} each)`,
  );

  const dispatcher = median(dispatcherMs);
  const addBulk = median(addBulkMs);
  const rpush = median(rpushMs);
  const pass = dispatcher < ENQUEUE_TARGET_MS;
  console.log(`  median: dispatcher ${ms(dispatcher)}, addBulk ${ms(addBulk)}, RPUSH pipeline ${ms(rpush)}`);
  console.log(
    `  RATIO dispatcher/addBulk = ${fixed(dispatcher / addBulk)}, dispatcher/RPUSH = ${fixed(dispatcher / rpush)}; ` +
      `${NODE_JOBS} node jobs in ${ms(dispatcher)} (target < ${ENQUEUE_TARGET_MS} ms) ${verdict(pass)}`,
  );
  await deletePrefix(prefix);
  return {
    pushes,
    concurrency,
    dispatcherMs,
    addBulkMs,
    rpushMs,
    sequentialMs: sequential,
    medianDispatcherMs: dispatcher,
    medianAddBulkMs: addBulk,
    medianRpushMs: rpush,
    ratioAddBulk: dispatcher / addBulk,
    ratioRpush: dispatcher / rpush,
    targetMs: ENQUEUE_TARGET_MS,
    pass,
  };
}

interface SmallFile {
  path: string;
  size: number;
  name: string;
  version: number;
}

async function writeSmall(dir: string, name: string, version: number): Promise<SmallFile> {
  const zip = await smallArtifactZip(name, version);
  const path = join(dir, `${name}-${version}.zip`);
  await writeFile(path, zip);
  return { path, size: zip.length, name, version };
}

/** For information: real HTTP pushes (4 KiB artifacts) to a coordinator whose agents are stopped. */
async function httpPart(cleanup: Cleanup, dir: string, addBulkMs: number | undefined) {
  const pushes = Math.ceil(NODE_JOBS / NODES);
  const warm = 10;
  console.log(
    `\n[a, information] ${pushes} HTTP pushes × ${NODES} nodes (node:http, ${httpConcurrency} in flight) ` +
      `to a coordinator whose 3 agents were stopped after registering`,
  );
  const files: SmallFile[] = [];
  for (let version = 1; version <= pushes + warm; version += 1)
    files.push(await writeSmall(dir, 'BenchHttpEnqueue', version));
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

function printSample(sample: MemorySample): void {
  const queues = Object.entries(sample.queues)
    .map(
      ([name, q]) =>
        `${name}: ${q.jobs} job hashes of ${fixed(q.jobBytes / Math.max(1, q.jobs), 0)} B ` +
        `(+${q.jobSubKeys} sub-keys of ${fixed(q.jobSubKeyBytes / Math.max(1, q.jobSubKeys), 0)} B), completed ${q.completed}, failed ${q.failed}, ` +
        `events ${q.eventsLength} entries ${kib(q.eventsBytes, 0)} (maxLenEvents ${q.maxLenEvents ?? 'unset'})`,
    )
    .join('\n      ');
  console.log(
    `    after ${sample.actions} actions: prefix ${mib(sample.prefixBytes)} in ${sample.keys} keys; used_memory ${mib(sample.usedMemory)} ` +
      `(whole server); ${sample.actionRecords} action records; node-ops ${sample.nodeOpsEntries} entries; ` +
      `inflight keys ${sample.inflightKeys}; fleet artifacts ${sample.fleetArtifacts}\n      ${queues}`,
  );
}

/** Pushes then deletes the same artifacts, `files.length` at a time, until `target` actions are done. */
async function runActions(
  fleet: BenchFleet,
  redis: Redis,
  files: SmallFile[],
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

async function memoryPart(cleanup: Cleanup, dir: string) {
  const first = 200;
  const checkpoints = [first, memoryActions, ...(extraActions > 0 ? [memoryActions + extraActions] : [])];
  console.log(
    `\n[b] Redis memory of a real cluster (coordinator + 3 agents) across ${memoryActions} completed actions: ` +
      `push, then delete, the same 10 small artifacts (10 at a time); samples after ${checkpoints.join(', ')} actions`,
  );
  const files: SmallFile[] = [];
  for (let k = 0; k < 10; k += 1) files.push(await writeSmall(dir, `BenchMemory${k}`, 1));
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
  const files: SmallFile[] = [];
  for (let version = 1; version <= DISTINCT_VERSIONS; version += 1) {
    files.push(await writeSmall(dir, 'BenchMemoryRelease', version));
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

function analyseMemory(samples: MemorySample[]) {
  const [at200, atN, atExtra] = samples as [MemorySample, MemorySample, MemorySample | undefined];
  const span = atN.actions - at200.actions;
  const delta = growth(at200, atN);
  const explained = delta['action records'];
  const unexplained = delta.total - explained;
  const bounded = delta['finished jobs'] + delta['events streams'];
  const rest = unexplained - bounded;
  const pass = unexplained < UNEXPLAINED_BYTES || unexplained < UNEXPLAINED_FRACTION * delta.total;
  console.log(
    `\n  growth from ${at200.actions} to ${atN.actions} actions (${span} actions), MEMORY USAGE summed under the prefix:`,
  );
  for (const category of CATEGORIES) {
    if (delta[category] === 0 && atN.categories[category].bytes === 0) continue;
    console.log(
      `    ${category.padEnd(18)} ${kib(delta[category]).padStart(12)} (${fixed(delta[category] / span, 0).padStart(5)} B/action)` +
        `   now ${kib(atN.categories[category].bytes).padStart(11)} in ${atN.categories[category].keys} keys`,
    );
  }
  console.log(
    `    ${'total'.padEnd(18)} ${kib(delta.total).padStart(12)} (${fixed(delta.total / span, 0).padStart(5)} B/action); ` +
      `used_memory (whole server, noisy) ${kib(atN.usedMemory - at200.usedMemory)}`,
  );
  console.log(
    `  kept action records after ${atN.actions} actions: ${atN.actionRecords} records, ` +
      `${mib(atN.categories['action records'].bytes)} (${fixed(atN.categories['action records'].bytes / Math.max(1, atN.actionRecords), 0)} B each)`,
  );
  console.log(
    `  explained by the kept action records: ${kib(explained)}; beyond them: ${kib(unexplained)} ` +
      `= ${fixed((unexplained / delta.total) * 100, 1)}% of the growth, of which finished BullMQ jobs ${kib(delta['finished jobs'])} ` +
      `and events streams ${kib(delta['events streams'])} (both capped by BullMQ settings), other ${kib(rest)}`,
  );
  const leftoverJobs = Object.values(atN.queues).reduce((sum, q) => sum + q.jobs, 0);
  const leftoverSubKeys = Object.values(atN.queues).reduce((sum, q) => sum + q.jobSubKeys, 0);
  console.log(
    `  leftover BullMQ job keys after ${atN.actions} actions: ${leftoverJobs} job hashes + ${leftoverSubKeys} sub-keys`,
  );
  console.log(
    `  beyond-records growth ${kib(unexplained)} (target < ${UNEXPLAINED_FRACTION * 100}% of ${kib(delta.total)} or < ${mib(UNEXPLAINED_BYTES, 0)}) ${verdict(pass)}`,
  );

  let steady: Record<string, number> | undefined;
  if (atExtra) {
    const d = growth(atN, atExtra);
    const n = atExtra.actions - atN.actions;
    steady = d;
    const reached = atN.actions >= 1000;
    console.log(
      `\n  ${reached ? 'steady state' : 'continued'}, ${atN.actions} → ${atExtra.actions} actions ` +
        `(${reached ? 'past the 1000-action / 1000-job retention limits: bounded data should not grow' : 'retention limits of 1000 not reached yet'}):`,
    );
    for (const category of CATEGORIES) {
      if (d[category] === 0) continue;
      console.log(
        `    ${category.padEnd(18)} ${kib(d[category]).padStart(12)} (${fixed(d[category] / n, 0).padStart(5)} B/action)`,
      );
    }
    console.log(
      `    ${'total'.padEnd(18)} ${kib(d.total).padStart(12)} (${fixed(d.total / n, 0).padStart(5)} B/action)`,
    );
    for (const [name, q] of Object.entries(atExtra.queues)) {
      const before = atN.queues[name];
      // Approximate trimming (XADD MAXLEN ~) moves a stream at its cap by up to ~100 entries: not growth.
      if (before && q.eventsLength - before.eventsLength > 100) {
        console.log(
          `    ${name}:events still growing: ${before.eventsLength} → ${q.eventsLength} entries ` +
            `(trimmed at maxLenEvents ${q.maxLenEvents ?? 'unset'})`,
        );
      }
    }
  }
  return {
    span,
    growth: delta,
    perActionBytes: delta.total / span,
    explainedBytes: explained,
    unexplainedBytes: unexplained,
    boundedByBullmqBytes: bounded,
    otherBytes: rest,
    keptActionRecords: atN.actionRecords,
    keptActionRecordBytes: atN.categories['action records'].bytes,
    leftoverJobHashes: leftoverJobs,
    leftoverJobSubKeys: leftoverSubKeys,
    steadyGrowth: steady,
    pass,
  };
}

async function main(): Promise<number> {
  for (const [name, value] of Object.entries({ rounds, concurrency, httpConcurrency, memoryActions })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  if (memoryActions <= 200 || memoryActions % 10 !== 0) throw new Error('--actions must be a multiple of 10 above 200');
  if (!Number.isInteger(extraActions) || extraActions < 0 || extraActions % 10 !== 0) {
    throw new Error('--extra must be a non-negative multiple of 10');
  }
  checkBuild();
  console.log(`fleet-enqueue-bench: ${machineLine()}`);
  const cleanup = new Cleanup();
  holdRepeatedSignals();
  try {
    const dir = await makeTmpDir('fleet-enqueue');
    cleanup.add('temp dir', () => removeDir(dir));
    const enqueue = await enqueuePart(cleanup);
    const http = flags['skip-http'] ? undefined : await httpPart(cleanup, dir, enqueue.medianAddBulkMs);
    const memory = flags['skip-memory'] ? undefined : await memoryPart(cleanup, dir);
    writeResult('fleet-enqueue-bench', {
      bench: 'fleet-enqueue-bench',
      date: new Date().toISOString(),
      enqueue,
      http,
      memory,
      memoryTarget: { fraction: UNEXPLAINED_FRACTION, bytes: UNEXPLAINED_BYTES },
    });
    console.log(
      `\nfleet-enqueue-bench: ${NODE_JOBS} jobs in ${ms(enqueue.medianDispatcherMs)} ` +
        `(dispatcher/addBulk ${fixed(enqueue.ratioAddBulk)}) ${verdict(enqueue.pass)}` +
        (memory
          ? `; memory beyond action records ${kib(memory.unexplainedBytes)} of ${kib(memory.growth.total)} ${verdict(memory.pass)}`
          : ''),
    );
    return enqueue.pass && (memory?.pass ?? true) ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

main().then(
  code => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
