import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { formatSize, parseDbCommand, parseDuration, parseMix, parseSize, parseSizes, picker } from './load-options.js';

describe('load options', () => {
  it('reads a mix of weights and refuses unknown operations or no weight at all', () => {
    expect(parseMix('read=70,push=10')).toEqual({ read: 70, local: 0, push: 10, db: 0 });
    expect(parseMix('db=3')).toEqual({ read: 0, local: 0, push: 0, db: 3 });
    expect(() => parseMix('write=1')).toThrow(InvalidArgumentError);
    expect(() => parseMix('read=x')).toThrow(InvalidArgumentError);
    expect(() => parseMix('read=0')).toThrow(/at least one weight/);
  });

  it('picks operations in exact proportion to their weights, interleaved, and never one weighted 0', () => {
    const pick = picker({ read: 70, local: 20, push: 10, db: 0 });
    const picks = Array.from({ length: 100 }, pick);
    expect(picks.filter(op => op === 'read')).toHaveLength(70);
    expect(picks.filter(op => op === 'local')).toHaveLength(20);
    expect(picks.filter(op => op === 'push')).toHaveLength(10);
    expect(picks.slice(0, 10).filter(op => op === 'read')).toHaveLength(7);
    const onlyPush = picker({ read: 0, local: 0, push: 1, db: 0 });
    expect(onlyPush()).toBe('push');
  });

  it('reads durations and sizes with their units', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('3')).toBe(3000);
    expect(() => parseDuration('soon')).toThrow(InvalidArgumentError);
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('4096')).toBe(4096);
    expect(() => parseSize('2GiB')).toThrow(/1 GiB/);
  });

  it('reads a list of sizes taken in turn, and names each size in the largest unit that divides it', () => {
    expect(parseSizes('4KiB, 1MiB')).toEqual([4096, 1024 ** 2]);
    expect(() => parseSizes('4KiB,')).toThrow(InvalidArgumentError);
    expect([4096, 1024 ** 2, 1536, 100].map(formatSize)).toEqual(['4KiB', '1MiB', '1536B', '100B']);
  });

  it('splits a database command as redis-cli does: on whitespace, a quoted part kept whole', () => {
    expect(parseDbCommand('FT.SEARCH idx hello')).toEqual(['FT.SEARCH', 'idx', 'hello']);
    expect(parseDbCommand(`FT.ADD idx doc1 1.0 FIELDS title "hello world" body 'a  b'`)).toEqual([
      'FT.ADD',
      'idx',
      'doc1',
      '1.0',
      'FIELDS',
      'title',
      'hello world',
      'body',
      'a  b',
    ]);
    expect(() => parseDbCommand('   ')).toThrow(InvalidArgumentError);
  });
});
