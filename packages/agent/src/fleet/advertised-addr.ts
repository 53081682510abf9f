import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isWildcardHost } from '@modfleet/common';

/** The node's own address as RS shows it: its first IPv4 address that is not loopback. */
export function internalIpv4(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string | undefined {
  for (const entries of Object.values(interfaces)) {
    const found = entries?.find(entry => entry.family === 'IPv4' && !entry.internal);
    if (found) return found.address;
  }
  return undefined;
}

/**
 * A listening address is not always one others can reach: a wildcard listen (a container's
 * 0.0.0.0) is advertised as the node's internal IP, as an RS node's `addr` is, or as this host's
 * name where it has no such address. The certificate names both.
 */
export function advertisedAddr(url: string, ownIp: () => string | undefined = internalIpv4): string {
  const parsed = new URL(url);
  if (isWildcardHost(parsed.hostname)) parsed.hostname = ownIp() ?? hostname();
  return parsed.origin;
}

/** The host part of the advertised addr for a listen on `host`: the one name the cluster CA signs for this node. */
export function advertisedHost(host: string, ownIp: () => string | undefined = internalIpv4): string {
  const inUrl = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new URL(advertisedAddr(`https://${inUrl}`, ownIp)).hostname.replace(/^\[|\]$/g, '');
}
