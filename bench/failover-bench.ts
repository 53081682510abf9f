/**
 * Failover bench: how long a Sentinel failover interrupts pushes. A coordinator and 2 agents run on
 * a master, a replica and three Sentinels (real processes); pushes of small artifacts go out back to
 * back; the master is SIGKILLed; the bench prints the time from its death to the first accepted push
 * and the longest delay of an action accepted around it (accept to completed), against the median
 * push-to-completed time with the master healthy, measured in the same run.
 *
 *   npx tsx bench/failover-bench.ts [--rounds 2] [--baseline 10]
 *
 * The Sentinels use down-after-milliseconds 1000 (test/helpers/redis-sentinel.ts): a production
 * setting (often 5000-30000) adds its difference to the interruption.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildArtifactZip } from '../test/helpers/artifact-zip.js';
import { startFleetCluster, type FleetCluster } from '../test/helpers/fleet-cluster.js';
import { killAllProcesses } from '../test/helpers/processes.js';
import { startSentinelSet, type SentinelSet } from '../test/helpers/redis-sentinel.js';
import { checkBuild, fixed, machineLine, median, runBench, writeResult } from './lib/util.js';

const { values: flags } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, baseline: { type: 'string', default: '10' } },
});
const rounds = Number(flags.rounds);
const baselinePushes = Number(flags.baseline);

/** A push unanswered this long counts as hung (a failure of the "never hang" promise), and the bench moves on. */
const PUSH_HANG_MS = 30_000;
let hungPushes = 0;
let version = 0;
const nextZip = () =>
  buildArtifactZip({ manifest: { module_name: 'Failover', version: (version += 1) }, so: randomBytes(4096) });

/** Accept → completed, in ms, for one push (the action's completion seen by polling every 20 ms). */
async function timedPush(
  fleet: FleetCluster,
): Promise<{ accepted: boolean; startedAt: number; completedIn?: Promise<number> }> {
  const startedAt = Date.now();
  const zip = await nextZip();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>(resolve => (timer = setTimeout(() => resolve('hung'), PUSH_HANG_MS)));
  const pushed = await Promise.race([fleet.push(zip).catch(() => undefined), hung]).finally(() => clearTimeout(timer));
  if (pushed === 'hung') {
    hungPushes += 1;
    return { accepted: false, startedAt };
  }
  if (pushed?.status !== 202) return { accepted: false, startedAt };
  const completedIn = fleet
    .waitForAction(pushed.body.action_uid!, { timeoutMs: 120_000, intervalMs: 20 })
    .then(action => {
      if (action.status !== 'completed') throw new Error(`action ${action.action_uid} ended ${action.status}`);
      return Date.now() - startedAt;
    });
  return { accepted: true, startedAt, completedIn };
}

async function failoverRound(set: SentinelSet, fleet: FleetCluster) {
  await set.awaitReplicas(1);
  const pending: { startedAt: number; completedIn: Promise<number> }[] = [];
  let killedAt = 0;
  let firstAcceptedAfterKill: number | undefined;
  const pushing = (async () => {
    for (;;) {
      const push = await timedPush(fleet);
      if (push.completedIn) pending.push({ startedAt: push.startedAt, completedIn: push.completedIn });
      if (killedAt && push.accepted && push.startedAt >= killedAt) {
        firstAcceptedAfterKill = Date.now();
        // A few more after the first, so the actions right after the failover count too.
        for (let more = 0; more < 3; more += 1) {
          const after = await timedPush(fleet);
          if (after.completedIn) pending.push({ startedAt: after.startedAt, completedIn: after.completedIn });
        }
        return;
      }
    }
  })();
  await sleep(1_000);
  const old = await set.master();
  killedAt = Date.now();
  await set.kill(old);
  await pushing;
  const delays = await Promise.all(pending.map(each => each.completedIn));
  await set.restart(old);
  return {
    interruptionMs: firstAcceptedAfterKill! - killedAt,
    longestActionMs: Math.max(...delays),
    actions: delays.length,
  };
}

async function main(): Promise<number> {
  checkBuild();
  const set = await startSentinelSet();
  let fleet: FleetCluster | undefined;
  try {
    fleet = await startFleetCluster({ nodes: 2, coordinatorEnv: set.env, agentEnv: set.env });
    const baseline: number[] = [];
    for (let index = 0; index < baselinePushes; index += 1) {
      const push = await timedPush(fleet);
      if (!push.completedIn) throw new Error('a push was refused with the master healthy');
      baseline.push(await push.completedIn);
    }
    const baselineMs = median(baseline);
    const results = [];
    for (let round = 0; round < rounds; round += 1) {
      results.push(await failoverRound(set, fleet));
      console.log(`  round ${round + 1} done`);
    }

    console.log(
      `failover-bench: ${machineLine()}, load average ${loadavg()
        .map(value => fixed(value, 1))
        .join(' ')}`,
    );
    console.log(`  healthy master: median push → completed ${baselineMs} ms over ${baselinePushes} pushes`);
    for (const [index, result] of results.entries()) {
      console.log(
        `  failover ${index + 1}: master death → first accepted push ${result.interruptionMs} ms ` +
          `(${fixed(result.interruptionMs / baselineMs, 1)}× baseline); longest action (accept → completed) ` +
          `${result.longestActionMs} ms (${fixed(result.longestActionMs / baselineMs, 1)}× baseline) over ${result.actions} actions, none lost`,
      );
    }
    console.log(`  pushes left unanswered for ${PUSH_HANG_MS / 1000} s: ${hungPushes}`);
    writeResult('failover-bench', { baselineMs, results, hungPushes, loadavg: loadavg() });
    return hungPushes === 0 ? 0 : 1;
  } finally {
    await fleet?.stop();
    await set.stop();
    await killAllProcesses();
  }
}

runBench(main);
