import { InvalidArgumentError } from 'commander';

export const LOAD_OPS = ['read', 'local', 'push', 'db'] as const;
export type LoadOp = (typeof LOAD_OPS)[number];

/** `read=70,local=20,push=10` → weights; every name must be an operation, every weight a whole number. */
export function parseMix(value: string): Record<LoadOp, number> {
  const mix: Record<LoadOp, number> = { read: 0, local: 0, push: 0, db: 0 };
  for (const part of value.split(',')) {
    const [name, weight] = part.split('=');
    if (!LOAD_OPS.includes(name as LoadOp) || !/^\d+$/.test(weight ?? '')) {
      throw new InvalidArgumentError(
        `expected name=weight pairs with names from ${LOAD_OPS.join(', ')}, e.g. read=70,local=20,push=10`,
      );
    }
    mix[name as LoadOp] = Number(weight);
  }
  if (Object.values(mix).every(weight => weight === 0))
    throw new InvalidArgumentError('at least one weight must be above 0');
  return mix;
}

/** `30s`, `2m`, `500ms` or a bare number of seconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) throw new InvalidArgumentError('a duration such as 30s, 2m or 500ms');
  const amount = Number(match[1]);
  const ms = match[2] === 'ms' ? amount : match[2] === 'm' ? amount * 60_000 : amount * 1000;
  if (ms <= 0) throw new InvalidArgumentError('must be above 0');
  return ms;
}

/** `64KiB`, `4MiB`, `1GiB` or bytes. */
export function parseSize(value: string): number {
  const match = /^(\d+)(B|KiB|MiB|GiB)?$/.exec(value);
  if (!match) throw new InvalidArgumentError('a size such as 4096, 64KiB or 16MiB');
  const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[match[2] ?? 'B'] ?? 1;
  const bytes = Number(match[1]) * unit;
  if (bytes < 1 || bytes > 1024 ** 3) throw new InvalidArgumentError('from 1 byte to 1 GiB');
  return bytes;
}

/** `4KiB,1MiB`: the sizes fleet pushes and local uploads take in turn. */
export function parseSizes(value: string): number[] {
  return value.split(',').map(part => parseSize(part.trim()));
}

/** 65536 → `64KiB`; the largest unit that divides the size, else bytes. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('a whole number above 0');
  return parsed;
}

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('a number above 0');
  return parsed;
}

/**
 * Picks operations in proportion to their weights, interleaved and exact (smooth weighted round
 * robin, as nginx balances upstreams): over every `sum of weights` picks each operation comes up
 * exactly its weight's times, so a short `--count` run still holds every operation of the mix.
 */
export function picker(mix: Record<LoadOp, number>): () => LoadOp {
  const entries = LOAD_OPS.filter(op => mix[op] > 0).map(op => ({ op, weight: mix[op], current: 0 }));
  const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
  return () => {
    let best = entries[0]!;
    for (const entry of entries) {
      entry.current += entry.weight;
      if (entry.current > best.current) best = entry;
    }
    best.current -= total;
    return best.op;
  };
}

/**
 * `FT.SEARCH idx "hello world"` → its words, as redis-cli splits a line: on whitespace, with a
 * single- or double-quoted part kept as one argument.
 */
export function parseDbCommand(value: string): string[] {
  const words = [...value.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(m => m[1] ?? m[2] ?? m[3]!);
  if (words.length === 0) throw new InvalidArgumentError('a Redis command such as "FT.SEARCH idx hello"');
  return words;
}
