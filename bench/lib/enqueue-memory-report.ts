/** The fleet-enqueue bench's memory report: one sample, and the growth between samples. */
import { CATEGORIES, growth, kib, mib, type MemorySample } from './fleet-memory.js';
import { fixed, MIB, verdict } from './util.js';

export const UNEXPLAINED_FRACTION = 0.1;
export const UNEXPLAINED_BYTES = MIB;

export function printSample(sample: MemorySample): void {
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

export function analyseMemory(samples: MemorySample[]) {
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
