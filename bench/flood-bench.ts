/**
 * Flood bench: what unauthenticated traffic does to a real coordinator process. Measures the
 * coordinator's RSS, Redis's used_memory and a real admin's request latency while quiet, then
 * under 300 slow connections (headers that never end, bodies that trickle), unauthenticated
 * logins with random emails and logins with 11,000-character emails, all in the same run.
 *
 *   npx tsx bench/flood-bench.ts [--slow 300] [--logins 2000]
 *
 * Uses the built packages: run `npx tsc -b` first.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { routes } from '@modfleet/common';
import { basicAuth } from '../test/helpers/http.js';
import { freePort, killAllProcesses, startService } from '../test/helpers/processes.js';
import { deletePrefix, REDIS_URL, withRedis } from '../test/helpers/redis.js';
import { makeTmpDir, removeDir } from '../test/helpers/tmp-dir.js';
import {
  benchPrefix,
  BENCH_ADMIN,
  checkBuild,
  fixed,
  machineLine,
  median,
  MIB,
  runBench,
  verdict,
  writeResult,
} from './lib/util.js';

const { values: flags } = parseArgs({
  options: { slow: { type: 'string', default: '300' }, logins: { type: 'string', default: '2000' } },
});
const SLOW = Number(flags.slow);
const LOGINS = Number(flags.logins);
const RSS_LIMIT_MIB = 32;

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const redisMemory = () => withRedis(async redis => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]));

async function adminLatencyMs(url: string, samples = 20): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const started = performance.now();
    const res = await fetch(`${url}${routes.modules}`, { headers: { authorization: basicAuth(BENCH_ADMIN) } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`the admin got ${res.status}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Half send headers that never end; half announce a 1 MB body and send a byte now and then. */
function slowConnections(url: string, count: number): Socket[] {
  const { hostname, port } = new URL(url);
  return Array.from({ length: count }, (_unused, i) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        i % 2 === 0
          ? `POST ${routes.nodeRegister} HTTP/1.1\r\nhost: x\r\n`
          : `POST ${routes.users} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{`,
      );
    });
    const drip = setInterval(() => socket.writable && socket.write(i % 2 === 0 ? 'x-a: b\r\n' : ' '), 2_000);
    socket.on('close', () => clearInterval(drip));
    socket.on('error', () => undefined);
    return socket;
  });
}

async function loginFlood(url: string, count: number): Promise<void> {
  const longEmail = `${'x'.repeat(11_000)}@example.com`;
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        const email = i % 2 === 0 ? longEmail : `nobody-${randomUUID()}@example.com`;
        const res = await fetch(`${url}${routes.modules}`, {
          headers: { authorization: basicAuth({ email, password: 'wrong' }) },
        });
        await res.arrayBuffer();
      }
    }),
  );
}

runBench(async () => {
  checkBuild();
  const prefix = benchPrefix('flood');
  const dataDir = await makeTmpDir('modfleet-bench-flood');
  try {
    const coordinator = await startService('coordinator', await freePort(), {
      REDIS_URL,
      MODFLEET_PREFIX: prefix,
      MODFLEET_DATA_DIR: join(dataDir, 'coordinator'),
      MODFLEET_ADMIN_EMAIL: BENCH_ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: BENCH_ADMIN.password,
      LOG_LEVEL: 'warn',
    });
    const pid = coordinator.pid;
    await adminLatencyMs(coordinator.url, 5); // warm-up
    const quiet = { rss: rssMiB(pid), redis: await redisMemory(), latency: await adminLatencyMs(coordinator.url) };

    const sockets = slowConnections(coordinator.url, SLOW);
    await sleep(5_000);
    const slowRss = rssMiB(pid); // the 300 slow connections alone, before any login is hashed
    const flooding = loginFlood(coordinator.url, LOGINS);
    const latencyUnderFlood = await adminLatencyMs(coordinator.url);
    await flooding;
    await sleep(2_000);
    const open = sockets.filter(socket => !socket.destroyed).length;
    const flood = { rss: rssMiB(pid), redis: await redisMemory(), latency: latencyUnderFlood };
    sockets.forEach(socket => socket.destroy());

    const rssGrowth = slowRss - quiet.rss;
    const redisGrowth = (flood.redis - quiet.redis) / MIB;
    const ratio = flood.latency / quiet.latency;
    const lines = [
      machineLine(),
      `coordinator RSS: quiet ${fixed(quiet.rss, 1)} MiB, with ${SLOW} slow connections ${fixed(slowRss, 1)} MiB (+${fixed(rssGrowth, 1)} MiB; limit +${RSS_LIMIT_MIB}) ${verdict(rssGrowth <= RSS_LIMIT_MIB)}`,
      `coordinator RSS after the login flood too: ${fixed(flood.rss, 1)} MiB (scrypt holds 16 MiB per hash in flight)`,
      `Redis used_memory growth: ${fixed(redisGrowth, 2)} MiB after ${LOGINS} unauthenticated logins (shared Redis: other clients add noise)`,
      `admin latency: quiet ${fixed(quiet.latency, 1)} ms, under flood ${fixed(flood.latency, 1)} ms: RATIO ${fixed(ratio, 2)}`,
      `slow connections still open after the flood: ${open} of ${SLOW}`,
    ];
    console.log(lines.join('\n'));
    writeResult('flood-bench', {
      quiet,
      slowRss,
      flood,
      rssGrowth,
      redisGrowth,
      ratio,
      open,
      slow: SLOW,
      logins: LOGINS,
    });
    return rssGrowth <= RSS_LIMIT_MIB ? 0 : 1;
  } finally {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  }
});
