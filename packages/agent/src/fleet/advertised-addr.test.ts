import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { advertisedAddr, internalIpv4 } from './advertised-addr.js';

const lo = {
  address: '127.0.0.1',
  netmask: '255.0.0.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: true,
  cidr: null,
} as const;
const eth6 = { ...lo, address: 'fe80::1', family: 'IPv6', internal: false, scopeid: 2 } as const;
const eth4 = { ...lo, address: '172.18.0.5', netmask: '255.255.0.0', internal: false } as const;

describe('advertisedAddr', () => {
  it('advertises a wildcard listen as the node IP, keeping scheme and port', () => {
    expect(advertisedAddr('https://0.0.0.0:9443', () => '172.18.0.5')).toBe('https://172.18.0.5:9443');
    expect(advertisedAddr('http://[::]:8080', () => '10.0.0.7')).toBe('http://10.0.0.7:8080');
  });

  it("falls back to the host's name where the node has no IPv4 address off loopback", () => {
    expect(advertisedAddr('https://0.0.0.0:9443', () => undefined)).toBe(`https://${hostname()}:9443`);
  });

  it('keeps an explicit listen address as it is', () => {
    expect(advertisedAddr('https://127.0.0.3:9443', () => '172.18.0.5')).toBe('https://127.0.0.3:9443');
  });

  it('picks the first IPv4 address that is not loopback', () => {
    expect(internalIpv4({ lo: [lo], eth0: [eth6, eth4] })).toBe('172.18.0.5');
    expect(internalIpv4({ lo: [lo], eth0: [eth6] })).toBeUndefined();
  });
});
