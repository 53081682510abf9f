/** Where one service of the local cluster listens. */
export interface ServiceAddress {
  host: string;
  /** HTTPS. */
  port: number;
  /** Plain HTTP beside it; undefined: off. */
  httpPort: number | undefined;
}

export interface AddressPlan {
  /** true: every service has its own loopback address, all on the same ports (as RS nodes). */
  perNodeAddress: boolean;
  coordinator: ServiceAddress;
  nodes: ServiceAddress[];
}

/**
 * As in RS, on Linux (where all of 127.0.0.0/8 is this host) the coordinator takes 127.0.0.1 and
 * node N 127.0.0.(N+1), all on the same ports, so each node is known by its address alone. Elsewhere,
 * on another --host, or with --ports, they share one address and node N takes port P+N (and HTTP H+N).
 */
export function planAddresses(options: {
  nodes: number;
  host: string;
  port: number;
  httpPort: number;
  distinctPorts: boolean;
  platform?: NodeJS.Platform;
}): AddressPlan {
  const perNodeAddress =
    (options.platform ?? process.platform) === 'linux' && !options.distinctPorts && options.host === '127.0.0.1';
  const http = (offset: number) => (options.httpPort === 0 ? undefined : options.httpPort + offset);
  const at = (index: number): ServiceAddress =>
    perNodeAddress
      ? { host: `127.0.0.${index + 1}`, port: options.port, httpPort: http(0) }
      : { host: options.host, port: options.port + index, httpPort: http(index) };
  return {
    perNodeAddress,
    coordinator: at(0),
    nodes: Array.from({ length: options.nodes }, (_unused, index) => at(index + 1)),
  };
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);
export const httpsUrlOf = (address: ServiceAddress) => `https://${hostInUrl(address.host)}:${address.port}`;
export const httpUrlOf = (address: ServiceAddress) =>
  address.httpPort === undefined ? undefined : `http://${hostInUrl(address.host)}:${address.httpPort}`;
