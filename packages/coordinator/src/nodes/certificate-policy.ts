import { isIP } from 'node:net';
import { BadRequestError, type NodeView } from '@modfleet/common';

/** The host of a node's `addr` as the registry shows it: a bare address, or a base URL. */
export function hostOfNodeAddr(addr: string): string {
  const url = /^[a-z]+:\/\//i.test(addr)
    ? new URL(addr)
    : new URL(`https://${addr.includes(':') ? `[${addr}]` : addr}`);
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * A loopback address only reaches the machine the client runs on: sharing one between
 * processes of one machine (`modfleet up`) lets no one reach another machine's service.
 */
const isLoopbackAddress = (host: string) => (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';

export interface CertificateScope {
  /** The registering node's uid and its advertised `addr` (a URL). */
  uid: number;
  addr: string;
  /** The names the coordinator's own certificate is issued for. */
  coordinatorNames: readonly string[];
  /** The nodes of the cluster now. */
  nodes: readonly NodeView[];
}

/**
 * The one name the cluster CA signs for a node: the host of the addr it registers, and only when
 * that host is neither the coordinator's nor another live node's. A certificate for another
 * service's name would let the node impersonate it to every client that trusts the CA; loopback
 * addresses are the exception, since only the same machine can reach them.
 */
export function permittedCertificateNames({ uid, addr, coordinatorNames, nodes }: CertificateScope): string[] {
  const host = hostOfNodeAddr(addr);
  if (isLoopbackAddress(host)) return [host];
  if (coordinatorNames.some(name => name.toLowerCase() === host)) {
    throw new BadRequestError('invalid_csr', `The address ${host} is the coordinator's: no node certificate names it`);
  }
  const holder = nodes.find(node => node.uid !== uid && node.status === 'active' && hostOfNodeAddr(node.addr) === host);
  if (holder) {
    throw new BadRequestError(
      'invalid_csr',
      `The address ${host} is node ${holder.uid}'s: no other node's certificate names it`,
    );
  }
  return [host];
}
