/**
 * A node's `addr` as RS shows it: the bare address (an IP, or a host name) when the node serves
 * HTTPS on the cluster's API port, as every RS node does (`https://$addr:9443`); otherwise
 * (distinct ports on one host, plain HTTP) its whole base URL, since the address alone would not
 * reach it. `apiPort`: the port the coordinator serves HTTPS on.
 */
export function nodeAddr(url: string, apiPort: number | undefined): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' && apiPort !== undefined && Number(parsed.port || 443) === apiPort) {
    return parsed.hostname.replace(/^\[|\]$/g, '');
  }
  return parsed.origin;
}
