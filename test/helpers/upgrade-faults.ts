import { readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { artifactKey, type StateMachineObject } from '@modfleet/common';

/** What the faulted action is: an upgrade, one with preserve_roles, `db rollback`, or an upgrade whose replica cannot start. */
export type FaultedAction = 'upgrade' | 'preserve_roles' | 'db_rollback' | 'broken_module';

/** Where a process is SIGKILLed: the `nth` time the action lists `state` (`preflight`: while the POST runs it). */
export interface FaultPoint {
  action: FaultedAction;
  state: string;
  nth?: number;
}

/** Every state an upgrade of a replicated database passes through, each in the action that reaches it. */
export const FAULT_POINTS: readonly FaultPoint[] = [
  { action: 'upgrade', state: 'preflight' },
  { action: 'upgrade', state: 'prepare' },
  { action: 'upgrade', state: 'check_slaves' },
  { action: 'upgrade', state: 'restart', nth: 1 },
  { action: 'upgrade', state: 'failover' },
  { action: 'upgrade', state: 'restart', nth: 2 },
  { action: 'upgrade', state: 'completed' },
  { action: 'preserve_roles', state: 'second_failover' },
  { action: 'db_rollback', state: 'prepare' },
  { action: 'db_rollback', state: 'restart', nth: 1 },
  { action: 'db_rollback', state: 'failover' },
  { action: 'db_rollback', state: 'restart', nth: 2 },
  { action: 'broken_module', state: 'rollback' },
];

export const describePoint = (p: FaultPoint) => `${p.action} at ${p.state}${p.nth ? ` #${p.nth}` : ''}`;

/** mulberry32: the same seed draws the same numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The machine has listed `point.state` its `nth` time (or ended). */
export const reached = (machine: StateMachineObject, point: FaultPoint) =>
  machine.status !== 'active' || (machine.states ?? []).filter(s => s.state === point.state).length >= (point.nth ?? 1);

/** The versions the action says every shard ends on: its target when completed, else what its last state says. */
export function versionSaid(machine: StateMachineObject): string | undefined {
  const change = machine.modules?.[0];
  if (!change || machine.status === 'active') return undefined;
  if (machine.status === 'completed') return change.to.semantic_version;
  return machine.states?.at(-1)?.detail?.startsWith('rolled back')
    ? change.from.semantic_version
    : change.to.semantic_version;
}

/** Each state the machine lists, once (a restart per shard). */
export function repeatedStates(machine: StateMachineObject): string[] {
  const counts = new Map<string, number>();
  for (const { state } of machine.states ?? []) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].filter(([state, n]) => n > (state === 'restart' ? 2 : 1)).map(([state]) => state);
}

/**
 * Puts a file that is no module where the agent of `dataDir` loads `name` `version` from, so a
 * shard it starts on that version fails (after the pre-flight passed); the function returned
 * puts the real one back.
 */
export async function breakModule(dataDir: string, name: string, version: number): Promise<() => Promise<void>> {
  const key = artifactKey(name, version);
  const meta = JSON.parse(await readFile(join(dataDir, 'artifacts', key, 'artifact.json'), 'utf8')) as {
    sha256: string;
    module_file: string;
  };
  const path = join(dataDir, 'shards', '.modules', `${key}-${meta.sha256.slice(0, 16)}`, meta.module_file);
  await mkdir(dirname(path), { recursive: true });
  const kept = await rename(path, `${path}.kept`).then(
    () => true,
    () => false,
  );
  await writeFile(path, 'not a module\n');
  return async () => {
    if (kept) await rename(`${path}.kept`, path);
    else await rm(path, { force: true });
  };
}
