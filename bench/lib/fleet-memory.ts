/**
 * Redis memory of one modfleet prefix, key by key (SCAN + MEMORY USAGE … SAMPLES 0), sorted into
 * what the coordinator keeps on purpose (action records), what BullMQ keeps (finished jobs, events
 * streams, queue bookkeeping) and the fleet's own state.
 */
import { redisKeys } from '@modfleet/common';
import { QueueKeys } from 'bullmq';
import type { Redis } from 'ioredis';
import { MIB } from './util.js';

export const CATEGORIES = [
  'action records',
  'finished jobs',
  'events streams',
  'queue bookkeeping',
  'fleet state',
  'nodes',
  'ccs',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface QueueFigures {
  /** Job hashes (`<queue>:<job id>`), without their sub-keys. */
  jobs: number;
  /** Sub-keys of jobs (`:dependencies`, `:processed`, `:failed`, `:lock`, `:logs`…). */
  jobSubKeys: number;
  /** MEMORY USAGE of the job hashes and of their sub-keys. */
  jobBytes: number;
  jobSubKeyBytes: number;
  completed: number;
  failed: number;
  eventsLength: number;
  eventsBytes: number;
  /** BullMQ's `opts.maxLenEvents` in the queue's meta hash: where the events stream is trimmed. */
  maxLenEvents: number | null;
}

export interface MemorySample {
  /** Actions completed when the sample was taken. */
  actions: number;
  /** INFO memory used_memory: the whole server, other tenants and client buffers included. */
  usedMemory: number;
  /** Sum of MEMORY USAGE over every key under the prefix. */
  prefixBytes: number;
  keys: number;
  categories: Record<Category, { keys: number; bytes: number }>;
  queues: Record<string, QueueFigures>;
  actionRecords: number;
  nodeOpsEntries: number;
  inflightKeys: number;
  fleetArtifacts: number;
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+-\d+)?$/;

function categorize(rest: string): { category: Category; queue?: string; job?: 'hash' | 'sub' | 'index' } {
  if (rest === 'actions' || rest.startsWith('action:')) return { category: 'action records' };
  const bull = /^bull:([^:]+):(.+)$/.exec(rest);
  if (bull) {
    const [, queue, tail] = bull as unknown as [string, string, string];
    if (tail === 'events') return { category: 'events streams', queue };
    if (tail === 'completed' || tail === 'failed') return { category: 'finished jobs', queue, job: 'index' };
    const [id, sub] = tail.split(':', 2) as [string, string | undefined];
    if (JOB_ID.test(id)) return { category: 'finished jobs', queue, job: sub === undefined ? 'hash' : 'sub' };
    return { category: 'queue bookkeeping', queue };
  }
  if (rest.startsWith('fleet:')) return { category: 'fleet state' };
  if (rest.startsWith('node:') || rest.startsWith('nodes')) return { category: 'nodes' };
  if (rest.startsWith('ccs:')) return { category: 'ccs' };
  return { category: 'other' };
}

async function scanPrefix(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', redisKeys(prefix).everyKey, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export async function sampleMemory(redis: Redis, prefix: string, actions: number): Promise<MemorySample> {
  const info = await redis.info('memory');
  const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
  const keys = await scanPrefix(redis, prefix);
  const sizes: number[] = [];
  for (let at = 0; at < keys.length; at += 1000) {
    const tx = redis.pipeline();
    for (const key of keys.slice(at, at + 1000)) tx.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [, size] of (await tx.exec()) ?? []) sizes.push(Number(size ?? 0));
  }
  const categories = Object.fromEntries(CATEGORIES.map(c => [c, { keys: 0, bytes: 0 }])) as MemorySample['categories'];
  const queues: Record<string, QueueFigures> = {};
  const queue = (name: string) =>
    (queues[name] ??= {
      jobs: 0,
      jobSubKeys: 0,
      jobBytes: 0,
      jobSubKeyBytes: 0,
      completed: 0,
      failed: 0,
      eventsLength: 0,
      eventsBytes: 0,
      maxLenEvents: null,
    });
  let actionRecords = 0;
  let inflightKeys = 0;
  keys.forEach((key, index) => {
    const rest = key.slice(prefix.length + 1);
    const { category, queue: name, job } = categorize(rest);
    categories[category].keys += 1;
    categories[category].bytes += sizes[index]!;
    if (rest.startsWith('action:')) actionRecords += 1;
    if (rest.startsWith('fleet:inflight:')) inflightKeys += 1;
    if (name) {
      const figures = queue(name);
      if (job === 'hash') {
        figures.jobs += 1;
        figures.jobBytes += sizes[index]!;
      }
      if (job === 'sub') {
        figures.jobSubKeys += 1;
        figures.jobSubKeyBytes += sizes[index]!;
      }
      if (category === 'events streams') figures.eventsBytes += sizes[index]!;
    }
  });
  const names = Object.keys(queues).sort();
  const redisKeysOf = redisKeys(prefix);
  const queueKeys = new QueueKeys(redisKeysOf.queuePrefix);
  const tx = redis.pipeline();
  for (const name of names) {
    tx.zcard(queueKeys.toKey(name, 'completed'))
      .zcard(queueKeys.toKey(name, 'failed'))
      .xlen(queueKeys.toKey(name, 'events'))
      .hget(queueKeys.toKey(name, 'meta'), 'opts.maxLenEvents');
  }
  tx.hlen(redisKeysOf.fleetNodeOps).hlen(redisKeysOf.fleetArtifacts);
  const results = ((await tx.exec()) ?? []).map(([, value]) => value);
  names.forEach((name, index) => {
    const [completed, failed, eventsLength, maxLen] = results.slice(index * 4, index * 4 + 4);
    Object.assign(queue(name), {
      completed: Number(completed),
      failed: Number(failed),
      eventsLength: Number(eventsLength),
      maxLenEvents: maxLen === null ? null : Number(maxLen),
    });
  });
  const [nodeOpsEntries, fleetArtifacts] = results.slice(names.length * 4).map(Number);
  return {
    actions,
    usedMemory,
    prefixBytes: sizes.reduce((a, b) => a + b, 0),
    keys: keys.length,
    categories,
    queues,
    actionRecords,
    nodeOpsEntries: nodeOpsEntries!,
    inflightKeys,
    fleetArtifacts: fleetArtifacts!,
  };
}

export const kib = (bytes: number, digits = 1) => `${(bytes / 1024).toFixed(digits)} KiB`;
export const mib = (bytes: number, digits = 2) => `${(bytes / MIB).toFixed(digits)} MiB`;

/** Growth between two samples, per category, in bytes. */
export function growth(from: MemorySample, to: MemorySample): Record<Category | 'total', number> {
  const out = { total: to.prefixBytes - from.prefixBytes } as Record<Category | 'total', number>;
  for (const category of CATEGORIES) out[category] = to.categories[category].bytes - from.categories[category].bytes;
  return out;
}
