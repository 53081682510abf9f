/** The scale bench's table, one row per fleet size, and its verdicts against the targets. */
import { loadavg } from 'node:os';
import { fixed, verdict } from './util.js';

export const TARGET_PUSH_MS = 15_000;
export const TARGET_CPU_PER_NODE_MS = 3;
/** "Flat": the largest fleet may cost at most this many times the smallest's per node. */
export const FLAT_RATIO = 1.5;

export interface Row {
  nodes: number;
  pushMs: number;
  cpuMs: number;
  cpuPerNodeMs: number;
  /** Coordinator CPU of the same push to one node of this fleet: what a push costs whatever its size. */
  fixedCpuMs: number;
  /** (CPU of the push to all − CPU of the push to one) / (nodes − 1): what each further node costs. */
  marginalCpuPerNodeMs: number;
  rssMiB: number;
  /** MEMORY USAGE of every key under the prefix. */
  redisKeysMiB: number;
  /** used_memory of the whole (shared) Redis. */
  redisUsedMiB: number;
  redisClients: number;
  /** Artifact copies the coordinator served (the rest came from peers). */
  originCopies: number;
  /** Coordinator CPU of one status GET of the finished action. */
  pollMs: number;
  /** Coordinator CPU per second with no push running. */
  idleCpuMsPerS: number;
  /** CPU of the simulation process (all the agents) during the push, per node. */
  simCpuPerNodeMs: number;
}

export const loadLine = (): string =>
  loadavg()
    .map(l => fixed(l))
    .join(' ');

export function printHeader(): void {
  console.log(
    '| nodes | push (median) | coordinator CPU per push | per node (CPU / nodes) | push to 1 node | per further node | ' +
      'coordinator RSS | Redis keys (prefix) | Redis used_memory (shared) | Redis connections | copies from the coordinator | ' +
      'one status GET | coordinator idle | simulation CPU per node |',
  );
  console.log(`|${'---|'.repeat(14)}`);
}

export function printRow(row: Row): void {
  const cells = [
    String(row.nodes),
    `${fixed(row.pushMs / 1000)} s`,
    `${fixed(row.cpuMs, 0)} ms`,
    `${fixed(row.cpuPerNodeMs)} ms`,
    `${fixed(row.fixedCpuMs, 0)} ms`,
    `${fixed(row.marginalCpuPerNodeMs)} ms`,
    `${fixed(row.rssMiB, 1)} MiB`,
    `${fixed(row.redisKeysMiB, 2)} MiB`,
    `${fixed(row.redisUsedMiB, 1)} MiB`,
    String(row.redisClients),
    fixed(row.originCopies, 1),
    `${fixed(row.pollMs, 1)} ms`,
    `${fixed(row.idleCpuMsPerS, 1)} ms/s`,
    `${fixed(row.simCpuPerNodeMs, 1)} ms`,
  ];
  console.log(`| ${cells.join(' | ')} |`);
}

export interface Verdicts {
  ratio: number;
  marginalRatio: number;
  cpuOk: boolean;
  amortisedOk: boolean;
  pushOk: boolean;
  flatOk: boolean;
}

/** Judges the rows (smallest fleet first) against the targets and prints each verdict. */
export function judge(rows: Row[]): Verdicts {
  const smallest = rows[0]!;
  const largest = rows.at(-1)!;
  const ratio = largest.cpuPerNodeMs / smallest.cpuPerNodeMs;
  const marginalRatio = largest.marginalCpuPerNodeMs / Math.max(smallest.marginalCpuPerNodeMs, 0.1);
  const cpuOk = rows.every(row => row.nodes === 1 || row.marginalCpuPerNodeMs <= TARGET_CPU_PER_NODE_MS);
  const amortisedOk = largest.cpuPerNodeMs <= TARGET_CPU_PER_NODE_MS;
  const pushOk = rows.every(row => row.nodes < 500 || row.pushMs <= TARGET_PUSH_MS);
  const flatOk = marginalRatio <= FLAT_RATIO;
  const list = (pick: (row: Row) => number) => rows.map(r => `${r.nodes}: ${fixed(pick(r))} ms`).join(', ');
  console.log(`coordinator CPU per further node: ${list(r => r.marginalCpuPerNodeMs)}`);
  console.log(`  <= ${TARGET_CPU_PER_NODE_MS} ms at every size: ${verdict(cpuOk)}`);
  console.log(
    `  ratio ${largest.nodes} vs ${smallest.nodes} nodes: ${fixed(marginalRatio)} (<= ${FLAT_RATIO}): ${verdict(flatOk)}`,
  );
  console.log(`coordinator CPU per push / nodes: ${list(r => r.cpuPerNodeMs)} (ratio ${fixed(ratio)})`);
  console.log(`  <= ${TARGET_CPU_PER_NODE_MS} ms at ${largest.nodes} nodes: ${verdict(amortisedOk)}`);
  console.log(`push to 500 nodes <= ${TARGET_PUSH_MS / 1000} s: ${verdict(pushOk)}`);
  return { ratio, marginalRatio, cpuOk, amortisedOk, pushOk, flatOk };
}
