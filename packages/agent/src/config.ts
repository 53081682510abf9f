import { loadServiceConfig, type Env, type ServiceConfig } from '@modfleet/common';

/** One field per variable the env registry lists for the agent (`MODFLEET_NODE_ID` -> `nodeId`). */
export type AgentConfig = ServiceConfig<'agent'>;

/** `fromFlags`: the variables the user gave as CLI flags, so that a bad one is reported by its flag. */
export function loadAgentConfig(env: Env = process.env, fromFlags?: ReadonlySet<string>): AgentConfig {
  return loadServiceConfig('agent', env, fromFlags);
}
