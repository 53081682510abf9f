import { describe, expect, it } from 'vitest';
import { httpsUrlOf, httpUrlOf, planAddresses } from './node-addresses.js';

describe('where `modfleet up` puts each service', () => {
  const base = { nodes: 2, host: '127.0.0.1', port: 9443, httpPort: 8080, distinctPorts: false };

  it('gives each node its own loopback address on the same ports on Linux', () => {
    const plan = planAddresses({ ...base, platform: 'linux' });
    expect(plan.perNodeAddress).toBe(true);
    expect([plan.coordinator, ...plan.nodes].map(httpsUrlOf)).toEqual([
      'https://127.0.0.1:9443',
      'https://127.0.0.2:9443',
      'https://127.0.0.3:9443',
    ]);
    expect(plan.nodes.map(httpUrlOf)).toEqual(['http://127.0.0.2:8080', 'http://127.0.0.3:8080']);
  });

  it.each([
    ['another system', { platform: 'darwin' as const }],
    ['--ports', { platform: 'linux' as const, distinctPorts: true }],
    ['another --host', { platform: 'linux' as const, host: '0.0.0.0' }],
  ])('gives node N port P+N on one address on %s', (_case, overrides) => {
    const plan = planAddresses({ ...base, ...overrides });
    expect(plan.perNodeAddress).toBe(false);
    expect(plan.nodes.map(node => [node.port, node.httpPort])).toEqual([
      [9444, 8081],
      [9445, 8082],
    ]);
  });

  it('serves no plain HTTP with --http-port 0', () => {
    const plan = planAddresses({ ...base, httpPort: 0, platform: 'linux' });
    expect([plan.coordinator, ...plan.nodes].map(httpUrlOf)).toEqual([undefined, undefined, undefined]);
  });
});
