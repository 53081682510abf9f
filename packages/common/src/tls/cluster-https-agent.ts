import { Agent, type AgentOptions } from 'node:https';

/**
 * An https.Agent that trusts the cluster CA and nothing else, with full verification: every call
 * an agent or the CLI makes to a cluster member goes through one of these (pass it as `agent` to
 * node:https requests). Keep-alive: fleet transfers make many range requests to the same peers.
 */
export function createClusterHttpsAgent(caPem: string | Buffer, options: AgentOptions = {}): Agent {
  return new Agent({ keepAlive: true, ...options, ca: caPem, rejectUnauthorized: true });
}
