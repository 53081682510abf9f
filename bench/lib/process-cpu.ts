/** CPU time of the fleet's processes, read from /proc (Linux). */
import { readFileSync } from 'node:fs';
import type { BenchFleet } from './fleet-cluster.js';

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
