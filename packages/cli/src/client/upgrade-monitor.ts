import type { StateMachineObject } from '@modfleet/common/contract';
import { pollStateMachine, type ActionReader } from '@modfleet/common/poll';
import { RIDE_OUT } from './coordinator-away.js';
import { newStateLines, renderModuleChanges, renderPreflight } from './upgrade-format.js';

export interface MonitorOptions {
  intervalMs: number;
  timeoutMs: number;
  /** One line (or block) of what rladmin prints while it monitors. */
  say: (text: string) => void;
}

/**
 * rladmin's monitoring: `Monitoring <uid>`, then each state as the machine passes it (GET
 * /v1/actions/<uid>), the modules it moves and the pre-flight once they are known. Returns the
 * last machine seen and whether it ended. A coordinator away for up to 30 s is ridden out: the
 * machine lives in Redis, not in the coordinator.
 */
export async function monitorStateMachine(
  client: ActionReader,
  actionUid: string,
  options: MonitorOptions,
): Promise<{ machine: StateMachineObject; ended: boolean }> {
  options.say(`Monitoring ${actionUid}\n`);
  let shown = 0;
  let modulesShown = false;
  let preflightShown = false;
  const { value: machine, ended } = await pollStateMachine(client, actionUid, {
    ...RIDE_OUT,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    onChange(current) {
      if (!modulesShown && current.modules) {
        modulesShown = true;
        options.say(`Module changes:\n${renderModuleChanges(current.modules)}`);
      }
      for (const line of newStateLines(current, shown)) options.say(`${line}\n`);
      shown = current.states?.length ?? 0;
      if (!preflightShown && current.preflight) {
        preflightShown = true;
        options.say(`Pre-flight per node and shard:\n${renderPreflight(current.preflight)}`);
      }
    },
  });
  return { machine, ended };
}
