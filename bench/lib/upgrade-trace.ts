/**
 * `db-upgrade-bench --trace`: the longest client wait laid out against the coordinator's switch
 * steps and the agents' log lines, all on the wall clock, in ms from the switch's start.
 */
import type { Service } from '../../test/helpers/processes.js';
import { fixed } from './util.js';
import type { WaitTrace } from '../../test/helpers/write-load.js';

interface SwitchRecord {
  switch_began_at: number;
  switch_ms: Record<string, number>;
}

const isSwitch = (r: Record<string, unknown>): r is Record<string, unknown> & SwitchRecord =>
  r.msg === 'failover switch done' && typeof r.switch_began_at === 'number';

/** The lines to print, or one saying what was missing. */
export function traceLines(
  coordinator: Service | undefined,
  agents: { uid: number; process: Service | undefined }[],
  clients: { label: string; trace: WaitTrace; waitMs: number }[],
): string[] {
  const switched = (coordinator?.logRecords() ?? []).filter(isSwitch).at(-1);
  if (!switched) return ['  trace: no "failover switch done" line in the coordinator log'];
  const zero = switched.switch_began_at;
  const at = (ms: number) => `${ms >= 0 ? '+' : ''}${fixed(ms, 1)}`;
  const lines = [
    `  trace (ms from CLIENT PAUSE sent, wall clock ${new Date(zero).toISOString()}):`,
    `    coordinator: ${Object.entries(switched.switch_ms)
      .map(([step, ms]) => `${step} ${at(ms)}`)
      .join(', ')}`,
  ];
  for (const agent of agents) {
    const near = (agent.process?.logRecords() ?? []).filter(
      r => typeof r.time === 'number' && r.time >= zero - 50 && r.time <= zero + 2000,
    );
    for (const r of near) lines.push(`    agent ${agent.uid}: ${at((r.time as number) - zero)} ${String(r.msg)}`);
  }
  for (const { label, trace, waitMs } of clients) {
    const steps = trace.events.map(e => `${e.what} ${at(e.at - zero)}`);
    lines.push(
      `    client, ${label} (${fixed(waitMs, 0)} ms): write began ${at(trace.began - zero)}; ${steps.join('; ')}`,
    );
  }
  return lines;
}

/**
 * Each agent's last `pre-flight answered` line: when it answered, in ms from `postAt` (the POST,
 * wall clock), and its step times by shard.
 */
export function preflightLines(agents: { uid: number; process: Service | undefined }[], postAt: number): string[] {
  return agents.flatMap(agent => {
    const answered = (agent.process?.logRecords() ?? [])
      .filter(r => r.msg === 'pre-flight answered' && typeof r.time === 'number' && r.time >= postAt)
      .at(-1);
    if (!answered) return [];
    const when = fixed((answered.time as number) - postAt, 0);
    return [
      `    agent ${agent.uid}: pre-flight answered +${when} ms from the POST, steps (ms) ${JSON.stringify(answered.steps_ms)}`,
    ];
  });
}
