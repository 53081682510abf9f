import { describe, expect, it } from 'vitest';
import { inPortRanges, parsePortRanges, portsOf, RS_DB_PORT_RANGES } from './port-ranges.js';

describe('database port ranges', () => {
  it("reads RS's range, leaving out 10050", () => {
    const ranges = parsePortRanges(RS_DB_PORT_RANGES)!;
    expect(inPortRanges(ranges, 10049)).toBe(true);
    expect(inPortRanges(ranges, 10050)).toBe(false);
    expect(inPortRanges(ranges, 19999)).toBe(true);
    expect([...portsOf(parsePortRanges('21000-21002, 21010')!)]).toEqual([21000, 21001, 21002, 21010]);
  });

  it('refuses anything but ports and low-high pairs', () => {
    for (const bad of ['', 'abc', '10-5', '0-10', '1-70000', '1,,2', '1-2-3'])
      expect(parsePortRanges(bad)).toBeUndefined();
  });
});
