import { describe, expect, it } from 'vitest';
import { loaderReason } from './loader-reason.js';

const line = (level: string, message: string) => `4242:M 02 Dec 2026 04:53:42.157 ${level} ${message}`;
const loadedPath = '/tmp/modfleet-redis-Ab12/fake.so';

describe('loaderReason: the loader’s own words, without the log’s noise', () => {
  it('keeps the warning, drops the log prefix and shows the private copy as the file’s name', () => {
    const log = [line('#', `Module ${loadedPath} failed to load: ${loadedPath}: file too short`), ''].join('\n');

    expect(loaderReason({ log, loadedPath, shownAs: 'fake.so', fallback: 'ERR' })).toBe(
      'Module fake.so failed to load: fake.so: file too short',
    );
  });

  it('gives the module’s own complaint with the server’s verdict, not its notices', () => {
    const log = [
      line('*', '<ft> RediSearch version 1.2.0 (Git=)'),
      line('#', '<ft> Could not load extension /x.so: /x.so: cannot open shared object file'),
      line('#', `Module ${loadedPath} initialization failed. Module not loaded`),
    ].join('\n');

    expect(loaderReason({ log, loadedPath, shownAs: 'redisearch.so', fallback: 'ERR' })).toBe(
      '<ft> Could not load extension /x.so: /x.so: cannot open shared object file; ' +
        'Module redisearch.so initialization failed. Module not loaded',
    );
  });

  it('says the server crashed when the module took it down, not the stack dump around it', () => {
    const log = [
      line('#', 'Bio thread for job type #2 terminated'),
      line('#', 'Redis 7.0.15 crashed by signal: 11, si_code: 1'),
      line('#', 'dump of function (hexdump of 148 bytes):'),
    ].join('\n');

    expect(loaderReason({ log, loadedPath, shownAs: 'crash.so', fallback: 'Connection is closed.' })).toBe(
      'redis-server crashed while loading it: Redis 7.0.15 crashed by signal: 11, si_code: 1',
    );
  });

  it('falls back to MODULE LOAD’s answer when the log says nothing', () => {
    expect(loaderReason({ log: '', loadedPath, shownAs: 'x.so', fallback: 'ERR Error loading the extension.' })).toBe(
      'ERR Error loading the extension.',
    );
  });
});
