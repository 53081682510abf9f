import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { routes } from '@modfleet/common';
import fc from 'fast-check';
import {
  answerProblem,
  buildFuzzZips,
  describeFuzz,
  fuzzRequestArb,
  sendFuzz,
  uploadRequestArb,
  type FuzzContext,
} from './fuzz-requests.js';
import { api } from './http.js';
import { ADMIN, CLUSTER_SECRET, startTestCluster, type TestCluster } from './in-process-cluster.js';

/** A gc() for this process, whether or not node was started with --expose-gc. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface FuzzOutcome {
  cases: number;
  /** Counterexample and fast-check's report when a property failed. */
  failure: string | undefined;
  statuses: Record<string, number>;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  /** Files in a temp folder after the run (there must be none). */
  leftovers: string[];
  /** Artifact folders on the agent that its own listing does not show. */
  unlisted: string[];
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir, { recursive: true });
  } catch {
    return [];
  }
}

/**
 * Starts a coordinator and one agent in this process and fires `runs` fuzzed requests at them,
 * `concurrency` at a time; then checks no temp file is left and the heap came back.
 */
export async function runRouteFuzz(options: {
  runs: number;
  seed?: number;
  concurrency?: number;
}): Promise<FuzzOutcome> {
  const gc = collector();
  const cluster: TestCluster = await startTestCluster({
    nodes: 1,
    coordinator: { maxArtifactBytes: 8 * 1024 * 1024 },
    agent: { maxArtifactBytes: 8 * 1024 * 1024 },
  });
  try {
    const off = await api(`${cluster.coordinator.url}${routes.cluster}`, {
      method: 'PUT',
      credentials: ADMIN,
      // Wrong passwords for the admin are part of the fuzz: lockout (tested on its own) would lock it out.
      json: { module_load_check: 'off', login_lockout_threshold: 0 },
    });
    if (off.status !== 200) throw new Error(`could not turn load checks and lockout off: ${off.status}`);
    await cluster.agents[0]!.registered;
    const ctx: FuzzContext = { admin: ADMIN, clusterSecret: CLUSTER_SECRET, zips: await buildFuzzZips() };
    const bases = { coordinator: cluster.coordinator.url, agent: cluster.agents[0]!.url };
    const statuses: Record<string, number> = {};
    let cases = 0;

    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const concurrency = options.concurrency ?? 4;
    let failure: string | undefined;
    // A quarter of the cases are artifact uploads (every zip shape reaches the inspector), the rest any route.
    for (const [arb, share] of [
      [uploadRequestArb(ctx), 0.25],
      [fuzzRequestArb(ctx), 0.75],
    ] as const) {
      if (failure) break;
      const batch = fc.array(arb, { minLength: 1, maxLength: concurrency });
      const result = await fc.check(
        fc.asyncProperty(batch, async requests => {
          const answers = await Promise.all(requests.map(req => sendFuzz(bases[req.target], req)));
          cases += requests.length;
          answers.forEach((answer, i) => {
            statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
            const problem = answerProblem(requests[i]!, answer);
            if (problem) throw new Error(`${problem}\n  request: ${describeFuzz(requests[i]!)}`);
          });
        }),
        {
          // Batches hold (1 + concurrency) / 2 requests on average.
          numRuns: Math.ceil((options.runs * share) / ((1 + concurrency) / 2)),
          ...(options.seed !== undefined && { seed: options.seed }),
          endOnFailure: true,
        },
      );
      if (result.failed) {
        const error =
          result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        failure = `${error}\n${fc.defaultReportMessage(result) ?? ''}`;
      }
    }

    // Let fleet jobs started by accepted pushes settle before looking at the folders.
    await sleep(1_000);
    const temp = [
      join(cluster.dataDir, 'coordinator', 'tmp'),
      ...cluster.agentConfigs.map(config => join(config.dataDir, 'tmp')),
    ];
    const leftovers = (
      await Promise.all(temp.map(async dir => (await entries(dir)).map(file => join(dir, file))))
    ).flat();
    const listing = await api<{ module_name: string; version: number }[]>(`${bases.agent}${routes.localArtifacts}`, {
      credentials: ADMIN,
    });
    const listed = new Set(listing.body.map(item => `${item.module_name}@${item.version}`));
    const folders = await readdir(join(cluster.agentConfigs[0]!.dataDir, 'artifacts'));
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    return {
      cases,
      failure,
      statuses,
      heapBeforeMiB: Math.round(heapBefore / 2 ** 20),
      heapAfterMiB: Math.round(heapAfter / 2 ** 20),
      leftovers,
      unlisted: folders.filter(folder => !listed.has(folder)),
    };
  } finally {
    await cluster.stop();
  }
}
