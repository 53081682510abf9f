import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../client/api-client.js';
import { LoadStats } from './load-stats.js';

describe('load stats', () => {
  it('bins every latency of an operation into log-spaced bins, fastest to slowest', () => {
    const stats = new LoadStats();
    const latencies = [0.2, 1, 1.1, 3, 3, 3, 40, 950];
    for (const ms of latencies) stats.record('read', ms);
    const bins = stats.bins().read!;
    expect(bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(latencies.length);
    expect(bins[0]!.le_ms).toBeGreaterThanOrEqual(0.2);
    expect(bins[0]!.count).toBe(1);
    expect(bins.at(-1)!.le_ms).toBeGreaterThanOrEqual(950);
    expect(bins.at(-1)!.count).toBe(1);
    // The three 3 ms requests share one bin, whose bound lies just above them.
    const three = bins.find(bin => bin.le_ms >= 3)!;
    expect(three.count).toBe(3);
    expect(three.le_ms).toBeLessThan(4);
    for (let i = 1; i < bins.length; i += 1) expect(bins[i]!.le_ms).toBeGreaterThan(bins[i - 1]!.le_ms);
  });

  it('counts requests without an answer apart from 5xx, by their reason', () => {
    const stats = new LoadStats();
    stats.record('push', 5, new ConnectionError('http://x', 'connection_refused', 'refused'));
    expect(stats.connectionErrors).toBe(1);
    expect(stats.serverErrors).toBe(0);
    expect(Object.fromEntries(stats.errorsByCode)).toEqual({ connection_refused: 1 });
  });
});
