import { pathTo, routes, type StateMachineObject } from '@modfleet/common/contract';
import { ApiError, ConnectionError, type ApiClient } from './api-client.js';
import { newStateLines, renderModuleChanges, renderPreflight } from './upgrade-format.js';

/** The machine lives in Redis, not in the coordinator: ride out a coordinator restart this long. */
const RETRY_FOR_MS = 30_000;
const isTransient = (err: unknown) =>
  err instanceof ConnectionError || (err instanceof ApiError && [502, 503, 504].includes(err.status));

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export interface MonitorOptions {
  intervalMs: number;
  timeoutMs: number;
  /** One line (or block) of what rladmin prints while it monitors. */
  say: (text: string) => void;
}

/**
 * rladmin's monitoring: `Monitoring <uid>`, then each state as the machine passes it (GET
 * /v1/actions/<uid>), the modules it moves and the pre-flight once they are known. Returns the
 * last machine seen and whether it ended.
 */
export async function monitorStateMachine(
  client: ApiClient,
  actionUid: string,
  options: MonitorOptions,
): Promise<{ machine: StateMachineObject; ended: boolean }> {
  options.say(`Monitoring ${actionUid}\n`);
  const deadline = Date.now() + options.timeoutMs;
  let shown = 0;
  let modulesShown = false;
  let preflightShown = false;
  let failingSince: number | undefined;
  let machine: StateMachineObject | undefined;
  for (;;) {
    try {
      machine = await client.get<StateMachineObject>(pathTo(routes.v1Action, { uid: actionUid }));
      failingSince = undefined;
      if (!modulesShown && machine.modules) {
        modulesShown = true;
        options.say(`Module changes:\n${renderModuleChanges(machine.modules)}`);
      }
      for (const line of newStateLines(machine, shown)) options.say(`${line}\n`);
      shown = machine.states?.length ?? 0;
      if (!preflightShown && machine.preflight) {
        preflightShown = true;
        options.say(`Pre-flight per node and shard:\n${renderPreflight(machine.preflight)}`);
      }
      if (machine.status !== 'active') return { machine, ended: true };
    } catch (err) {
      if (!isTransient(err)) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > RETRY_FOR_MS) throw err;
    }
    if (Date.now() >= deadline && machine) return { machine, ended: false };
    await sleep(options.intervalMs);
  }
}
