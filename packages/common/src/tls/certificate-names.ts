import { hostname, networkInterfaces } from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** A listen on every address (`0.0.0.0`, `::`, or a URL's `[::]`): not an address anyone can reach. */
export const isWildcardHost = (host: string) => WILDCARDS.has(host);

/**
 * The names a service's certificate must carry to be reached at its listening address: that
 * address, and for a wildcard listen every local address (a container's IP included) and this
 * host's name (compose reaches services by their `hostname`).
 */
export function certificateNames(host: string): string[] {
  const names = new Set<string>();
  if (isWildcardHost(host)) {
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) names.add(entry.address.replace(/%.*$/, ''));
    }
    names.add('localhost');
  } else {
    names.add(host.replace(/^\[|\]$/g, ''));
    if (host === '127.0.0.1' || host === '::1') names.add('localhost');
  }
  names.add(hostname());
  return [...names];
}
