import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createClusterHttpsAgent } from '@modfleet/common';

/** The connection pool for a coordinator URL: an `https.Agent` trusting the cluster CA, for example. */
export type CoordinatorTransport = (url: URL) => HttpAgent;

/**
 * Idle pooled connections are closed after 4 s, before the coordinator's own 5 s keep-alive
 * timeout (Node's default) would close them under a request about to be sent.
 */
const IDLE_POOLED_SOCKET_MS = 4_000;

/**
 * Keep-alive pools, one per scheme. HTTPS trusts the cluster CA when given, otherwise what Node
 * trusts (NODE_EXTRA_CA_CERTS included).
 */
export function keepAliveTransport(caPem?: string): CoordinatorTransport {
  const http = new HttpAgent({ keepAlive: true, timeout: IDLE_POOLED_SOCKET_MS });
  const https = caPem
    ? createClusterHttpsAgent(caPem, { timeout: IDLE_POOLED_SOCKET_MS })
    : new HttpsAgent({ keepAlive: true, timeout: IDLE_POOLED_SOCKET_MS });
  return url => (url.protocol === 'https:' ? https : http);
}
