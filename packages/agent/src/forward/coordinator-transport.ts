import type { Agent as HttpAgent } from 'node:http';
import { clusterNodeAgents } from '@modfleet/common';

/** The connection pool for a coordinator URL: an `https.Agent` trusting the cluster CA, for example. */
export type CoordinatorTransport = (url: URL) => HttpAgent;

/**
 * Keep-alive pools, one per scheme, with the cluster client's trust and idle time (idle sockets
 * close before the coordinator's own keep-alive timeout would). HTTPS trusts the cluster CA when
 * given, otherwise what Node trusts (NODE_EXTRA_CA_CERTS included).
 */
export function keepAliveTransport(caPem?: string): CoordinatorTransport {
  return clusterNodeAgents(caPem);
}
