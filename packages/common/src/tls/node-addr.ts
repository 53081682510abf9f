/** RS's port for the REST API: a node serving it there is known by its address alone. */
export const RS_API_PORT = 9443;

/**
 * A node's `addr` as RS shows it: the bare address (an IP, or a host name) when the node serves
 * HTTPS on 9443, which is what RS clients assume (`https://$addr:9443`); otherwise (distinct
 * ports on one host, plain HTTP) the whole base URL, since the address alone would not reach it.
 */
export function nodeAddr(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:' && parsed.port === String(RS_API_PORT))
    return parsed.hostname.replace(/^\[|\]$/g, '');
  return parsed.origin;
}
