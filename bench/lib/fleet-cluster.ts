/**
 * A real fleet for the fleet benches: `modfleet coordinator` + N `modfleet agent` processes (the
 * built CLI), started by the e2e tests' helper (test/helpers/fleet-cluster.ts) under a bench
 * prefix, plus the HTTP and Redis helpers the fleet benches share.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'node:http';
import {
  childJobId,
  nodeQueueName,
  pathTo,
  redisKeys,
  routes,
  type ActionMeta,
  type OpRecord,
  type RedisKeys,
} from '@modfleet/common';
import { QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  FLEET_ADMIN,
  startFleetCluster,
  type ActionObject,
  type FleetCluster,
} from '../../test/helpers/fleet-cluster.js';
import { killAllProcesses } from '../../test/helpers/processes.js';
import { uploadArtifact, type UploadClient } from './upload-client.js';
import { assertLoopback, basicAuth, deletePrefix, sleep, uniquePrefix, type Cleanup } from './util.js';

export { FLEET_ADMIN, type ActionObject, type FleetCluster };

export interface BenchFleet {
  cluster: FleetCluster;
  prefix: string;
  keys: RedisKeys;
  coordinatorUrl: string;
  agentUrls: string[];
  /** Kills the processes, removes their data dirs and deletes the prefix (also run by the bench's Cleanup). */
  stop(): Promise<void>;
}

/**
 * Starts a coordinator and `nodes` agents as their own processes, on 127.0.0.1, under the prefix
 * `bench-<bench>-<uuid>`, and waits until every node is registered and active. Everything is
 * undone by the bench's Cleanup (also on Ctrl-C), even when the start fails half-way.
 */
export async function startBenchFleet(
  bench: string,
  cleanup: Cleanup,
  options: { nodes?: number; logLevel?: string } = {},
): Promise<BenchFleet> {
  const prefix = uniquePrefix(bench);
  cleanup.add(`redis keys ${prefix}`, () => deletePrefix(prefix));
  // A fallback for a start interrupted before the cluster handle exists: every modfleet process this bench spawned.
  cleanup.add('modfleet processes', () => killAllProcesses());
  const env = {
    MODFLEET_PREFIX: prefix,
    LOG_LEVEL: options.logLevel ?? 'info',
    // Run the services as `modfleet` runs them: plain node, no TypeScript loader inherited from the bench.
    ...(process.env.NODE_OPTIONS?.includes('tsx') && { NODE_OPTIONS: undefined }),
  };
  const cluster = await startFleetCluster({ nodes: options.nodes ?? 3, coordinatorEnv: env, agentEnv: env });
  const stop = async () => {
    await cluster.stop();
    await deletePrefix(prefix);
  };
  cleanup.add(`fleet ${prefix}`, stop);
  assertLoopback(cluster.coordinator.url);
  for (const agent of cluster.agents) assertLoopback(agent.url);
  return {
    cluster,
    prefix,
    keys: redisKeys(prefix),
    coordinatorUrl: cluster.coordinator.url,
    agentUrls: cluster.agents.map(agent => agent.url),
    stop,
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with BullMQ's job timestamps. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request over a kept-alive connection (node:http), as the admin; the answer parsed as JSON. */
export function requestJson<T = unknown>(method: string, url: string): Promise<{ status: number; body: T }> {
  assertLoopback(url);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent: keepAlive,
      timeout: 30_000,
      headers: { authorization: basicAuth(FLEET_ADMIN), accept: 'application/json' },
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.once('error', reject);
    req.once('response', res => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.once('error', reject);
      res.once('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
        } catch (err) {
          reject(
            new Error(`${method} ${url} answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`, {
              cause: err,
            }),
          );
        }
      });
    });
    req.end();
  });
}

/** POST /v2/modules/user-defined/artifacts with the zip on disk; must answer 202 {action_uid}. */
export async function pushFile(
  client: UploadClient,
  coordinatorUrl: string,
  file: string,
  size: number,
): Promise<{ actionUid: string; elapsedMs: number }> {
  const result = await uploadArtifact(client, {
    url: `${coordinatorUrl}${routes.fleetArtifacts}`,
    file,
    size,
    credentials: FLEET_ADMIN,
  });
  if (result.status !== 202) throw new Error(`fleet push answered ${result.status}: ${result.body}`);
  const { action_uid } = JSON.parse(result.body) as { action_uid?: string };
  if (!action_uid) throw new Error(`fleet push answered without action_uid: ${result.body}`);
  return { actionUid: action_uid, elapsedMs: result.elapsedMs };
}

/** DELETE /v2/modules/user-defined/artifacts/<name>/<version>; must answer 202 {action_uid}. */
export async function fleetDelete(coordinatorUrl: string, moduleName: string, version: number): Promise<string> {
  const res = await requestJson<{ action_uid?: string }>(
    'DELETE',
    `${coordinatorUrl}${pathTo(routes.fleetArtifact, { moduleName, version })}`,
  );
  if (res.status !== 202 || !res.body.action_uid) {
    throw new Error(`fleet DELETE answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body.action_uid;
}

/** DELETE /v2/local/modules/user-defined/artifacts/<name>/<version> on one agent; must answer 200. */
export async function localDelete(agentUrl: string, moduleName: string, version: number): Promise<void> {
  const res = await requestJson('DELETE', `${agentUrl}${pathTo(routes.localArtifact, { moduleName, version })}`);
  if (res.status !== 200) throw new Error(`local DELETE on ${agentUrl} answered ${res.status}`);
}

export interface Detection {
  action: ActionObject;
  /** epochMs() when the answer showing a terminal status arrived. */
  detectedAt: number;
  polls: number;
}

/**
 * Polls GET /v2/actions/<uid> until the action is completed or failed: a new request every
 * `intervalMs` from the start of the previous one (at once when that one took longer).
 */
export async function pollAction(
  coordinatorUrl: string,
  actionUid: string,
  { intervalMs = 5, timeoutMs = 60_000 }: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<Detection> {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    const started = performance.now();
    const res = await requestJson<ActionObject>('GET', `${coordinatorUrl}${pathTo(routes.action, { uid: actionUid })}`);
    polls += 1;
    const detectedAt = epochMs();
    if (res.status !== 200) throw new Error(`GET ${pathTo(routes.action, { uid: actionUid })} answered ${res.status}`);
    if (res.body.status === 'completed' || res.body.status === 'failed') return { action: res.body, detectedAt, polls };
    if (Date.now() > deadline) {
      throw new Error(`action ${actionUid} not finished after ${timeoutMs} ms: ${JSON.stringify(res.body)}`);
    }
    const wait = intervalMs - (performance.now() - started);
    if (wait > 0) await sleep(wait);
  }
}

/** Throws unless every node op of the action completed. */
export function requireCompleted(detection: Detection, what: string): void {
  if (detection.action.status !== 'completed') {
    throw new Error(`${what}: action ended ${detection.action.status}: ${JSON.stringify(detection.action)}`);
  }
}

export interface StoredAction {
  meta: ActionMeta;
  ops: OpRecord[];
}

/** The action record as the coordinator stores it (`<prefix>:action:<uid>`), read straight from Redis. */
export async function readAction(redis: Redis, keys: RedisKeys, actionUid: string): Promise<StoredAction | undefined> {
  const fields = await redis.hgetall(keys.action(actionUid));
  if (!fields.meta) return undefined;
  const ops = Object.entries(fields)
    .filter(([field]) => field.startsWith('op:'))
    .map(([, json]) => JSON.parse(json) as OpRecord);
  return { meta: JSON.parse(fields.meta) as ActionMeta, ops };
}

/**
 * Waits until the coordinator's finalizer has closed every action (`finished_at` in its record:
 * the parent job ran and released the push's dedupe key), polling Redis every `intervalMs`.
 * A push of the same bytes before that would be answered with the old action.
 */
export async function waitFinalized(
  redis: Redis,
  keys: RedisKeys,
  actionUids: readonly string[],
  { intervalMs = 10, timeoutMs = 60_000 }: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<Map<string, StoredAction>> {
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, StoredAction>();
  let pending = [...actionUids];
  while (pending.length > 0) {
    const tx = redis.pipeline();
    for (const uid of pending) tx.hgetall(keys.action(uid));
    const results = (await tx.exec()) ?? [];
    const still: string[] = [];
    pending.forEach((uid, index) => {
      const fields = results[index]?.[1] as Record<string, string> | undefined;
      const meta = fields?.meta ? (JSON.parse(fields.meta) as ActionMeta) : undefined;
      if (meta?.finished_at === undefined) {
        still.push(uid);
        return;
      }
      const ops = Object.entries(fields!)
        .filter(([field]) => field.startsWith('op:'))
        .map(([, json]) => JSON.parse(json) as OpRecord);
      done.set(uid, { meta, ops });
    });
    pending = still;
    if (pending.length === 0) break;
    if (Date.now() > deadline) throw new Error(`actions not finalized after ${timeoutMs} ms: ${pending.join(', ')}`);
    await sleep(intervalMs);
  }
  return done;
}

export interface ChildTiming {
  node_uid: number;
  /** From the queue's events, ms since the epoch: added (flow add), active (worker pickup), completed. */
  timestamp: number;
  processedOn: number;
  finishedOn: number;
  attemptsMade: number;
  /** The processor's answer: installed, unchanged, deleted… */
  result: string | undefined;
}

/** Milliseconds since the epoch encoded in a Redis stream entry id (`<ms>-<seq>`). */
function streamMs(id: string): number {
  return Number(id.split('-')[0]);
}

/**
 * The timeline of each node job of an action, read from its node queue's BullMQ events stream
 * (`added` → `active` → `completed`): completed jobs are removed at once, but their events stay
 * (the stream keeps the newest ~500 entries, so read right after the action finishes).
 */
export async function childTimings(redis: Redis, keys: RedisKeys, action: StoredAction): Promise<ChildTiming[]> {
  return Promise.all(
    action.ops.map(async op => {
      const jobId = childJobId(action.meta.action_uid, op.key);
      const events = new QueueKeys(keys.queuePrefix).toKey(nodeQueueName(op.node_uid), 'events');
      const entries = await redis.xrevrange(events, '+', '-', 'COUNT', 500);
      const timing: ChildTiming = {
        node_uid: op.node_uid,
        timestamp: 0,
        processedOn: 0,
        finishedOn: 0,
        attemptsMade: 0,
        result: undefined,
      };
      for (const [id, flat] of entries) {
        const fields = new Map<string, string>();
        for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index]!, flat[index + 1]!);
        if (fields.get('jobId') !== jobId) continue;
        const at = streamMs(id);
        const event = fields.get('event');
        // Newest first: keep the earliest `added`, the latest `active` and `completed`.
        if (event === 'added' || event === 'waiting') timing.timestamp = at;
        else if (event === 'active' && timing.processedOn === 0) timing.processedOn = at;
        else if (event === 'completed' && timing.finishedOn === 0) {
          timing.finishedOn = at;
          try {
            timing.result = (JSON.parse(fields.get('returnvalue') ?? '{}') as { result?: string }).result;
          } catch {
            timing.result = undefined;
          }
        } else if (event === 'retries-exhausted' || event === 'failed') timing.attemptsMade += 1;
      }
      if (timing.timestamp === 0) timing.timestamp = timing.processedOn;
      return timing;
    }),
  );
}

/** Nearest-rank percentile (p in 0-100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export const ms = (value: number, digits = 1): string => `${value.toFixed(digits)} ms`;

const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (10 ms resolution). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** The pids of the coordinator and each agent (in node uid order). */
export function fleetPids(fleet: BenchFleet): { coordinator: number; agents: number[] } {
  const pid = (service: { pid: number } | undefined) => {
    if (!service) throw new Error('a fleet process is not running');
    return service.pid;
  };
  return { coordinator: pid(fleet.cluster.coordinator.process), agents: fleet.cluster.agents.map(a => pid(a.process)) };
}

export interface CpuSnapshot {
  pids: { coordinator: number; agents: number[] };
  coordinatorMs: number;
  agentsMs: number[];
}

/** CPU ms used so far by the coordinator and each agent. */
export function cpuSnapshot(fleet: BenchFleet): CpuSnapshot {
  const pids = fleetPids(fleet);
  return { pids, coordinatorMs: processCpuMs(pids.coordinator), agentsMs: pids.agents.map(processCpuMs) };
}

/** CPU ms the coordinator and each agent used since `before`. */
export function cpuSince(before: CpuSnapshot): { coordinatorMs: number; agentsMs: number[] } {
  return {
    coordinatorMs: processCpuMs(before.pids.coordinator) - before.coordinatorMs,
    agentsMs: before.pids.agents.map((pid, index) => processCpuMs(pid) - before.agentsMs[index]!),
  };
}

/**
 * One Ctrl-C reaches the bench several times (the terminal's process group, then relayed by
 * `npm exec` and by tsx's parent process), and `Cleanup` listens with `process.once`: without
 * another listener the second SIGINT would end the process half-way through its cleanup
 * (tsx exits when a signal finds no listener), leaving processes, keys and temp dirs behind.
 * This listener absorbs the repeats; should the cleanup hang, the process still exits after 60 s.
 */
export function holdRepeatedSignals(): void {
  let received = 0;
  const onSignal = () => {
    received += 1;
    if (received === 1) setTimeout(() => process.exit(130), 60_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
