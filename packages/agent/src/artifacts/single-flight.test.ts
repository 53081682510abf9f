import { describe, expect, it } from 'vitest';
import { singleFlight } from './single-flight.js';

describe('singleFlight', () => {
  it('runs the work once for every caller that arrives while it runs, and again afterwards', async () => {
    let runs = 0;
    let finish: (value: number) => void = () => undefined;
    const shared = singleFlight(() => {
      runs += 1;
      return new Promise<number>(resolve => (finish = resolve));
    });

    const callers = Array.from({ length: 40 }, () => shared());
    finish(7);

    expect(await Promise.all(callers)).toEqual(Array.from({ length: 40 }, () => 7));
    expect(runs).toBe(1);
    const later = shared();
    finish(8);
    expect(await later).toBe(8);
    expect(runs).toBe(2);
  });
});
