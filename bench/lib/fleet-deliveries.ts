/**
 * The two ways the fleet benches deliver one artifact to every agent of a BenchFleet: one push
 * through the coordinator, polled until `completed`, or the RS way, an upload to each agent's
 * local API in turn. Both check that every node really got the bytes.
 */
import { routes } from '@modfleet/common';
import type { Redis } from 'ioredis';
import { FLEET_ADMIN } from '../../test/helpers/fleet-types.js';
import type { BenchFleet } from './fleet-cluster.js';
import { epochMs, detectActionEnd, pushFile, requireCompleted, type Detection } from './fleet-http.js';
import { childTimings, waitFinalized, type ChildTiming } from './fleet-records.js';
import { cpuSince, cpuSnapshot } from './process-cpu.js';
import { uploadArtifact, type UploadClient } from './upload-client.js';

/** What a bench delivers: a zip on disk and what the agent must answer for it. */
export interface DeliveredFile {
  path: string;
  size: number;
  sha256: string;
}

export interface TimedPush {
  /** ms since the epoch when the request started, when the coordinator answered 202. */
  startedAt: number;
  acceptedAt: number;
  /** The upload to the coordinator, up to its 202. */
  uploadMs: number;
  detection: Detection;
  /** CPU each service used from the request's start to the poll that saw `completed`. */
  cpu: ReturnType<typeof cpuSince>;
  /** Each node job's timeline, read after the finalizer closed the action (untimed). */
  children: ChildTiming[];
}

/**
 * One push through the fleet, timed from the request's start to the poll answer saying
 * `completed`; then, untimed, the finalizer's close is waited for (so its work does not overlap the
 * next measurement) and every node must have installed the artifact.
 */
export async function timedPush(
  fleet: BenchFleet,
  redis: Redis,
  client: UploadClient,
  artifact: DeliveredFile,
  pollMs: number,
): Promise<TimedPush> {
  const cpuBefore = cpuSnapshot(fleet);
  const startedAt = epochMs();
  const push = await pushFile(client, fleet.coordinatorUrl, artifact.path, artifact.size);
  const acceptedAt = epochMs();
  const detection = await detectActionEnd(fleet.coordinatorUrl, push.actionUid, { intervalMs: pollMs });
  const cpu = cpuSince(cpuBefore);
  requireCompleted(detection, `push ${push.actionUid}`);
  const stored = (await waitFinalized(redis, fleet.keys, [push.actionUid])).get(push.actionUid)!;
  const children = await childTimings(redis, fleet.keys, stored);
  if (children.length !== fleet.agentUrls.length || children.some(child => child.result !== 'installed')) {
    throw new Error(`push ${push.actionUid} did not install on every node: ${JSON.stringify(children)}`);
  }
  return { startedAt, acceptedAt, uploadMs: push.elapsedMs, detection, cpu, children };
}

/**
 * The RS way: the artifact uploaded to each agent's local API in turn, each answer carrying the
 * zip's sha256 and size. Returns each upload's time and the services' CPU over all of them.
 */
export async function uploadToEachAgent(
  fleet: BenchFleet,
  client: UploadClient,
  artifact: DeliveredFile,
): Promise<{ totalMs: number; eachMs: number[]; cpu: ReturnType<typeof cpuSince> }> {
  const cpuBefore = cpuSnapshot(fleet);
  const startedAt = epochMs();
  const eachMs: number[] = [];
  for (const agentUrl of fleet.agentUrls) {
    const result = await uploadArtifact(client, {
      url: `${agentUrl}${routes.localArtifacts}`,
      file: artifact.path,
      size: artifact.size,
      credentials: FLEET_ADMIN,
    });
    if (result.status !== 200) throw new Error(`local upload answered ${result.status}: ${result.body}`);
    const body = JSON.parse(result.body) as { sha256?: string; size?: number };
    if (body.sha256 !== artifact.sha256 || body.size !== artifact.size) {
      throw new Error(`the agent stored different bytes: ${result.body}`);
    }
    eachMs.push(result.elapsedMs);
  }
  return { totalMs: epochMs() - startedAt, eachMs, cpu: cpuSince(cpuBefore) };
}
