/** The fleet benches' HTTP calls: kept-alive requests as the fleet admin, pushes, deletes, action polling. */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { basicAuth } from '../../test/helpers/http.js';
import { pathTo, routes } from '@modfleet/common';
import { FLEET_ADMIN, type ActionObject } from '../../test/helpers/fleet-types.js';
import { uploadArtifact, type UploadClient } from './upload-client.js';
import { assertLoopback } from './util.js';

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

/** Nearest-rank percentile (p in 0-100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

export const ms = (value: number, digits = 1): string => `${value.toFixed(digits)} ms`;
