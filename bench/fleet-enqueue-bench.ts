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
import { parseArgs } from 'node:util';
import { connectRedis, createLogger, createRedis, redisKeys } from '@modfleet/common';
import { deletePrefix, REDIS_URL } from '../test/helpers/redis.js';
import { httpPart, memoryPart } from './lib/enqueue-cluster-parts.js';
import { UNEXPLAINED_BYTES, UNEXPLAINED_FRACTION } from './lib/enqueue-memory-report.js';
import { addBulkRound, dispatcherRound, NODE_JOBS, plannedPushes, rpushRound } from './lib/enqueue-rounds.js';
import { holdRepeatedSignals } from './lib/fleet-cluster.js';
import { ms } from './lib/fleet-http.js';
import { kib } from './lib/fleet-memory.js';
import {
  benchPrefix,
  checkBuild,
  Cleanup,
  fixed,
  machineLine,
  median,
  verdict,
  writeResult,
  runBench,
} from './lib/util.js';

const ENQUEUE_TARGET_MS = 1000;

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

async function enqueuePart(cleanup: Cleanup) {
  console.log(
    `\n[a] ${NODE_JOBS} node jobs: coordinator dispatcher (flows of 3, ${concurrency} in flight) ` +
      `vs Queue.addBulk vs RPUSH pipeline; ${rounds} rounds interleaved, order rotating`,
  );
  const prefix = benchPrefix('fleet-enqueue');
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
    const dir = await cleanup.tmpDir('fleet-enqueue');
    const enqueue = await enqueuePart(cleanup);
    const http = flags['skip-http']
      ? undefined
      : await httpPart(cleanup, dir, enqueue.medianAddBulkMs, httpConcurrency);
    const memory = flags['skip-memory'] ? undefined : await memoryPart(cleanup, dir, memoryActions, extraActions);
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

runBench(main);
