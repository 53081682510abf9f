import { describe, expect, it } from 'vitest';
import { ago, colorEnabled, colorsFor, formatBytes, localTime, renderTable, visibleWidth } from './output.js';

describe('renderTable', () => {
  it('aligns columns under capitalised headers and trims trailing blanks', () => {
    const text = renderTable(
      ['uid', 'addr', 'status'],
      [
        ['1', 'http://127.0.0.1:9444', 'active'],
        ['12', 'http://h:1', ''],
      ],
    );
    expect(text).toBe(
      ['UID  ADDR                   STATUS', '1    http://127.0.0.1:9444  active', '12   http://h:1'].join('\n') + '\n',
    );
  });

  it('measures coloured cells by what shows, not by their escape codes', () => {
    const c = colorsFor({ write: () => true, isTTY: true }, {});
    const text = renderTable(
      ['state', 'x'],
      [
        [c.red('failed'), 'a'],
        ['installed', 'b'],
      ],
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.map(visibleWidth)).toEqual([lines[0]!.length, lines[0]!.length, lines[0]!.length]);
    expect(text).toContain('\x1b[31mfailed\x1b[39m     a');
  });
});

describe('colour', () => {
  const tty = { write: () => true, isTTY: true };
  it('is on for a terminal only, and off whenever NO_COLOR is set', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled({ write: () => true, isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ write: () => true }, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true);
    // CI=true alone never turns colour on for a pipe (picocolors' own detection would)
    expect(colorsFor({ write: () => true }, { CI: 'true', FORCE_COLOR: '1' }).red('x')).toBe('x');
  });
});

describe('formatting', () => {
  it('says how long ago, coarsely', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    expect(ago('2025-01-01T11:59:58Z', now)).toBe('2s ago');
    expect(ago('2025-01-01T11:55:00Z', now)).toBe('5m ago');
    expect(ago('2025-01-01T09:00:00Z', now)).toBe('3h ago');
    expect(ago('2024-12-30T12:00:00Z', now)).toBe('2d ago');
    expect(ago(null, now)).toBe('never');
    expect(ago('2025-01-01T12:00:03Z', now)).toBe('0s ago');
  });

  it('prints sizes in binary units and unix seconds as local time', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4096)).toBe('4.0 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
    expect(localTime(0)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });
});
