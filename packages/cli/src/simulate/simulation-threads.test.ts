import { describe, expect, it } from 'vitest';
import { sliceNodes } from './simulation-threads.js';

describe('sliceNodes', () => {
  it('splits the nodes into consecutive slices, one per thread, the first ones larger by one', () => {
    expect(sliceNodes(500, 2)).toEqual([
      { first: 0, count: 250 },
      { first: 250, count: 250 },
    ]);
    expect(sliceNodes(7, 3)).toEqual([
      { first: 0, count: 3 },
      { first: 3, count: 2 },
      { first: 5, count: 2 },
    ]);
  });

  it('never starts a thread without nodes', () => {
    expect(sliceNodes(2, 4)).toEqual([
      { first: 0, count: 1 },
      { first: 1, count: 1 },
    ]);
  });
});
