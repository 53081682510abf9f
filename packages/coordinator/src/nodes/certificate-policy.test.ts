import type { NodeView } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { hostOfNodeAddr, permittedCertificateNames } from './certificate-policy.js';

const node = (uid: number, addr: string, status: NodeView['status'] = 'active') => ({ uid, addr, status }) as NodeView;
const COORDINATOR = ['10.0.0.2', '127.0.0.1', 'localhost', 'coordinator'];

describe('the names the cluster CA signs for a node', () => {
  it('is the host of the addr the node registers, nothing more', () => {
    expect(
      permittedCertificateNames({ uid: 3, addr: 'https://10.0.0.7:9443', coordinatorNames: COORDINATOR, nodes: [] }),
    ).toEqual(['10.0.0.7']);
  });

  it("refuses a host that is the coordinator's", () => {
    for (const addr of ['https://coordinator:9443', 'https://10.0.0.2:9444', 'https://LOCALHOST:1']) {
      expect(() => permittedCertificateNames({ uid: 3, addr, coordinatorNames: COORDINATOR, nodes: [] }), addr).toThrow(
        /coordinator's/,
      );
    }
  });

  it('refuses a host another live node has, not one of its own or of a node that is down', () => {
    const nodes = [node(1, '10.0.0.7'), node(2, 'https://10.0.0.8:9444', 'down'), node(3, 'https://10.0.0.9:9443')];
    const scope = { coordinatorNames: COORDINATOR, nodes };
    expect(() => permittedCertificateNames({ ...scope, uid: 4, addr: 'https://10.0.0.7:9443' })).toThrow(/node 1's/);
    expect(permittedCertificateNames({ ...scope, uid: 1, addr: 'https://10.0.0.7:9443' })).toEqual(['10.0.0.7']);
    expect(permittedCertificateNames({ ...scope, uid: 4, addr: 'https://10.0.0.8:9443' })).toEqual(['10.0.0.8']);
  });

  it('lets processes of one machine share a loopback address, which no other machine reaches', () => {
    expect(
      permittedCertificateNames({
        uid: 2,
        addr: 'https://127.0.0.1:9444',
        coordinatorNames: COORDINATOR,
        nodes: [node(1, 'https://127.0.0.1:9445')],
      }),
    ).toEqual(['127.0.0.1']);
  });

  it('reads bare and URL addrs alike', () => {
    expect(hostOfNodeAddr('10.0.0.7')).toBe('10.0.0.7');
    expect(hostOfNodeAddr('::1')).toBe('::1');
    expect(hostOfNodeAddr('https://[fd00::7]:9444')).toBe('fd00::7');
  });
});
