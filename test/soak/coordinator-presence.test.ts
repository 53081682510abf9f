/**
 * Coordinators on one Redis prefix serve one cluster together: each announces itself under its
 * prefix, finds the others there (to copy blobs to) and logs when one joins, without a warning.
 * `modfleet up`, which starts a whole new local cluster, still says so on the terminal before it
 * starts its own.
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@modfleet/common';
import { startCoordinator, type RunningCoordinator } from '@modfleet/coordinator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coordinatorConfig } from '../helpers/in-process-cluster.js';
import { pollFor } from '../helpers/poll.js';
import { startUp } from '../helpers/modfleet-up.js';
import { freePortRange, killAllProcesses, type ModfleetProcess } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

interface LogLine {
  level: number;
  msg: string;
  prefix?: string;
}
const INFO = 30;
const WARN = 40;

function capture(): { lines: LogLine[]; logger: Logger } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'coordinator', level: 'info' }, sink) };
}

const peerNotices = (lines: LogLine[]) =>
  lines.filter(line => line.level === INFO && line.msg.includes('together with'));
const warnings = (lines: LogLine[]) => lines.filter(line => line.level >= WARN);

describe('a second coordinator on the same Redis prefix', () => {
  let prefixes: string[];
  let dataDir: string;
  let running: RunningCoordinator[];

  beforeEach(async () => {
    prefixes = [];
    running = [];
    dataDir = await makeTmpDir('modfleet-presence');
  });

  afterEach(async () => {
    await killAllProcesses();
    await Promise.allSettled(running.map(coordinator => coordinator.stop(2_000)));
    for (const prefix of prefixes) await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  async function start(prefix: string, logger: Logger): Promise<RunningCoordinator> {
    const coordinator = await startCoordinator(coordinatorConfig(prefix, dataDir), logger);
    running.push(coordinator);
    return coordinator;
  }

  it('is a peer: it names the live one at its start, the live one names it too, and neither warns', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const first = capture();
    const second = capture();
    const one = await start(prefix, first.logger);
    const two = await start(prefix, second.logger);

    const [notice] = peerNotices(second.lines);
    expect(notice?.msg).toContain(`prefix "${prefix}"`);
    expect(notice?.msg).toContain(one.url);
    // The first one learns of the newcomer at its next refresh (every few seconds).
    const seen = await pollFor(
      () => Promise.resolve(peerNotices(first.lines)),
      lines => lines.length > 0,
      'the first coordinator names the second',
      { timeoutMs: 12_000, intervalMs: 200 },
    );
    expect(seen[0]?.msg).toContain(two.url);
    expect(peerNotices(first.lines)).toHaveLength(1);
    expect(warnings([...first.lines, ...second.lines]).filter(line => line.msg.includes('coordinator'))).toEqual([]);
  });

  it('is not named when the prefixes differ, nor once the other one has stopped', async () => {
    const [a, b] = [uniquePrefix(), uniquePrefix()];
    prefixes.push(a, b);
    const first = capture();
    const other = capture();
    const one = await start(a, first.logger);
    await start(b, other.logger);
    expect(peerNotices(other.lines)).toEqual([]);

    await one.stop(2_000);
    const later = capture();
    await start(a, later.logger);
    expect(peerNotices(later.lines)).toEqual([]);
    expect(peerNotices(first.lines)).toEqual([]);
  });

  /** `modfleet up --nodes 1` under `prefix`, once it printed its summary. */
  async function upWithOneNode(prefix: string): Promise<ModfleetProcess> {
    return startUp({ nodes: 1, port: await freePortRange(2), dataDir, prefix, redisUrl: REDIS_URL });
  }

  it('makes `modfleet up` print a warning on the terminal before it starts its own cluster', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const live = await start(prefix, capture().logger);
    const up = await upWithOneNode(prefix);
    const out = up.stdout();
    expect(out).toContain(`WARNING: another modfleet coordinator is live`);
    expect(out).toContain(`under the Redis prefix "${prefix}"`);
    expect(out).toContain(live.url);
    expect(out).toContain('--prefix <name>');
    expect(out.indexOf('WARNING')).toBeLessThan(out.indexOf('modfleet local cluster is up'));
    await up.stop('SIGINT', 20_000);
  });

  it('leaves `modfleet up` quiet about prefixes when none is in use', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const up = await upWithOneNode(prefix);
    expect(up.stdout()).not.toContain('WARNING');
    await up.stop('SIGINT', 20_000);
  });
});
