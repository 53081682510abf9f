import { describe, expect, it } from 'vitest';
import { MAX_CHAIN_LENGTH, planSources, type SourcePlanInput } from './source-plan.js';

const SHA = 'a'.repeat(64);
const ORIGIN = `/internal/blobs/${SHA}`;
const addrs = new Map(Array.from({ length: 12 }, (_u, i) => [i + 1, `http://10.0.0.${i + 1}:9444`] as const));

function plan(input: Partial<SourcePlanInput>): Record<number, string[]> {
  const result = planSources({
    sha256: SHA,
    targets: [],
    holders: [],
    addrs,
    down: new Set(),
    originUrl: ORIGIN,
    ...input,
  });
  return Object.fromEntries([...result].map(([uid, sources]) => [uid, sources.map(s => s.id)]));
}

describe('planSources: a pipelined chain with the origin last', () => {
  it('chains the targets in uid order, each falling back to the two before it, then the origin', () => {
    expect(plan({ targets: [3, 1, 4, 2] })).toEqual({
      1: ['origin'],
      2: ['node:1', 'origin'],
      3: ['node:2', 'node:1', 'origin'],
      4: ['node:3', 'node:2', 'origin'],
    });
  });

  it('points peers at the peer blob route of their advertised address, and the origin at its path', () => {
    const result = planSources({
      sha256: SHA,
      targets: [1, 2],
      holders: [],
      addrs,
      down: new Set(),
      originUrl: ORIGIN,
    });

    expect(result.get(2)).toEqual([
      { id: 'node:1', url: `http://10.0.0.1:9444/internal/peer/blobs/${SHA}` },
      { id: 'origin', url: ORIGIN },
    ]);
  });

  it('fills a late joiner from the nodes that hold the blob before the origin', () => {
    expect(plan({ targets: [7], holders: [1, 2, 3] })).toEqual({ 7: ['node:1', 'node:2', 'origin'] });
  });

  it('heads the chain with seeders, rotating them along the chain', () => {
    expect(plan({ targets: [4, 5], holders: [1, 2] })).toEqual({
      4: ['node:1', 'node:2', 'origin'],
      5: ['node:4', 'node:2', 'node:1', 'origin'],
    });
  });

  it('never plans a down node or one without an address as a source, and puts down targets last', () => {
    expect(plan({ targets: [1, 2, 3, 4], holders: [9], down: new Set([2, 9]) })).toEqual({
      1: ['origin'],
      3: ['node:1', 'origin'],
      4: ['node:3', 'node:1', 'origin'],
      2: ['node:4', 'node:3', 'origin'],
    });
    expect(plan({ targets: [1, 99] })).toEqual({ 1: ['origin'], 99: ['node:1', 'origin'] });
  });

  it('does not count a target as a seeder of itself', () => {
    expect(plan({ targets: [1, 2], holders: [2] })).toEqual({ 1: ['origin'], 2: ['node:1', 'origin'] });
  });

  it('keeps every node to a few sources, whatever the fleet size', () => {
    const big = plan({ targets: Array.from({ length: 12 }, (_u, i) => i + 1), holders: [] });
    expect(Math.max(...Object.values(big).map(s => s.length))).toBe(3);
    expect(Object.keys(big)).toHaveLength(12);
  });
});

describe('planSources: a binary tree past MAX_CHAIN_LENGTH targets', () => {
  const many = MAX_CHAIN_LENGTH + 36;
  const manyAddrs = new Map(Array.from({ length: many }, (_u, i) => [i + 1, `http://10.0.1.${i + 1}:9444`] as const));
  const planned = () =>
    planSources({
      sha256: SHA,
      targets: [...manyAddrs.keys()],
      holders: [],
      addrs: manyAddrs,
      down: new Set(),
      originUrl: ORIGIN,
    });

  it('keeps a chain of exactly MAX_CHAIN_LENGTH targets', () => {
    const targets = [...manyAddrs.keys()].slice(0, MAX_CHAIN_LENGTH);
    const chain = planSources({
      sha256: SHA,
      targets,
      holders: [],
      addrs: manyAddrs,
      down: new Set(),
      originUrl: ORIGIN,
    });
    expect(chain.get(MAX_CHAIN_LENGTH)!.map(s => s.id)).toEqual([
      `node:${MAX_CHAIN_LENGTH - 1}`,
      `node:${MAX_CHAIN_LENGTH - 2}`,
      'origin',
    ]);
  });

  it('has each node pull from its parent, then its grandparent, then the origin', () => {
    const ids = (uid: number) =>
      planned()
        .get(uid)!
        .map(s => s.id);
    expect(ids(1)).toEqual(['origin']);
    expect(ids(2)).toEqual(['node:1', 'origin']);
    expect(ids(3)).toEqual(['node:1', 'origin']);
    expect(ids(4)).toEqual(['node:2', 'node:1', 'origin']);
    expect(ids(7)).toEqual(['node:3', 'node:1', 'origin']);
    expect(ids(many)).toEqual([`node:${Math.floor(many / 2)}`, `node:${Math.floor(many / 4)}`, 'origin']);
  });

  it('gives no node more than two downstreams and no node more than log2(fleet) hops from the origin', () => {
    const plan = planned();
    const downstreams = new Map<string, number>();
    for (const sources of plan.values()) {
      const upstream = sources[0]!.id;
      if (upstream !== 'origin') downstreams.set(upstream, (downstreams.get(upstream) ?? 0) + 1);
    }
    expect(Math.max(...downstreams.values())).toBe(2);
    const depth = (uid: number): number => {
      const upstream = plan.get(uid)![0]!.id;
      return upstream === 'origin' ? 0 : 1 + depth(Number(upstream.slice('node:'.length)));
    };
    expect(Math.max(...[...plan.keys()].map(depth))).toBe(Math.floor(Math.log2(many)));
  });
});
