/**
 * Auth throughput bench: requests/s of authenticated routes against an unauthenticated trivial
 * route served by the same process with the same request logger.
 *
 *   npx tsx bench/auth-throughput-bench.ts [--rounds 3] [--duration 5] [--connections 32] [--log info|silent]
 *                                          [--only agentList|coordinatorCreate]
 *
 * The bench forks itself with --serve. The child serves, on 127.0.0.1: one outer express app
 * holding GET /trivial and the real agent app (Redis-backed auth, a disk artifact store holding
 * two artifacts), and the real coordinator (startCoordinator) on a second listener of the same
 * process. This process drives them with autocannon, so load generator and server are separate
 * processes. Uses the built packages: run `npx tsc -b` first.
 */
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, listen, requestLogger } from '@modfleet/common';
import express from 'express';
import { ServerProcess, type ChildMessage, type ParentMessage } from './lib/auth-bench-server.js';
import {
  measure,
  sanityChecks,
  scenarios,
  SEEDED_ARTIFACTS,
  type Measurement,
  type Scenario,
} from './lib/auth-bench-scenarios.js';
import { buildAgentApp, startBenchCoordinator } from './lib/services.js';
import { deletePrefix } from '../test/helpers/redis.js';
import {
  checkBuild,
  Cleanup,
  createBenchAdmin,
  fixed,
  machineLine,
  median,
  benchPrefix,
  verdict,
  writeResult,
} from './lib/util.js';

const RATIO_TARGET = 0.5;

const { values: flags } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    log: { type: 'string', default: 'info' },
    only: { type: 'string' },
  },
});

// ---------------------------------------------------------------------------------------------
// Server side (the forked child)
// ---------------------------------------------------------------------------------------------

async function serve(): Promise<void> {
  const prefix = process.env.BENCH_PREFIX!;
  const dataDir = process.env.BENCH_DATA_DIR!;
  const level = flags.log === 'silent' ? 'silent' : 'info';
  // Every line is serialized and written (one write(2) per line, like pino's default stdout), to /dev/null.
  const devNull = openSync('/dev/null', 'w');
  const logger = createLogger({ name: 'bench', level }, { write: (line: string) => void writeSync(devNull, line) });

  // The agent app opens with its own requestLogger and ends with its 404 handler, so the outer
  // app cannot log too (each request would be logged twice). /trivial gets a requestLogger of its
  // own, built the same way from the same logger: every measured route pays one pino-http pass.
  const agent = await buildAgentApp({ prefix, dataDir: join(dataDir, 'agent'), logger, seeded: SEEDED_ARTIFACTS });
  const outer = express();
  outer.disable('x-powered-by');
  outer.set('etag', false);
  outer.get('/trivial', requestLogger(logger), (_req, res) => {
    res.json({ ok: true });
  });
  outer.use(agent.app);
  const server = await listen(outer, { host: '127.0.0.1', port: 0 });

  // The coordinator app only comes wired from startCoordinator (its package exports no builder
  // for its many dependencies), so it gets its own listener, in this same process and event loop.
  const coordinator = await startBenchCoordinator({ prefix, dataDir: join(dataDir, 'coordinator'), logger });

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system });
    } else {
      void Promise.allSettled([server.close(1_000), coordinator.stop(1_000)])
        .then(agent.close)
        .finally(() => process.exit(0));
    }
  });
  // The bench process went away without stopping us: do not outlive it.
  process.once('disconnect', () => process.exit(0));
  send({ type: 'listening', url: server.url, coordinatorUrl: coordinator.url });
}

function send(message: ChildMessage): void {
  process.send!(message);
}

// ---------------------------------------------------------------------------------------------
// Load generator side (this process)
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  checkBuild();
  const rounds = Number(flags.rounds);
  const seconds = Number(flags.duration);
  const warmup = Number(flags.warmup);
  const connections = Number(flags.connections);
  if (![rounds, seconds, connections].every(n => Number.isInteger(n) && n > 0)) {
    throw new Error('--rounds, --duration and --connections must be positive integers');
  }
  if (flags.log !== 'info' && flags.log !== 'silent') throw new Error('--log must be info or silent');
  const only = flags.only?.split(',');
  if (only?.some(key => key !== 'agentList' && key !== 'coordinatorCreate')) {
    throw new Error('--only takes agentList and/or coordinatorCreate');
  }
  console.log(`auth-throughput-bench: ${machineLine()}`);
  console.log(
    `${rounds} rounds x ${seconds} s per route, ${connections} connections, server log level ${flags.log} (to /dev/null)`,
  );

  const cleanup = new Cleanup();
  try {
    const prefix = benchPrefix('auth');
    cleanup.add('redis keys', () => deletePrefix(prefix));
    await createBenchAdmin(prefix);
    const dataDir = await cleanup.tmpDir('auth');
    const server = await ServerProcess.start(fileURLToPath(import.meta.url), flags.log, {
      BENCH_PREFIX: prefix,
      BENCH_DATA_DIR: dataDir,
    });
    cleanup.add('server', () => server.stop());
    console.log(`server at ${server.url} (trivial, agent), coordinator at ${server.coordinatorUrl}`);
    await sanityChecks(server);

    // --only agentList (or coordinatorCreate): measure one authenticated route; trivial always runs.
    const all = scenarios(server).filter(
      scenario => !only || scenario.key === 'trivial' || only.includes(scenario.key),
    );
    if (warmup > 0) {
      for (const scenario of all) await measure(server, scenario, warmup, connections);
      console.log(`warm-up done (${warmup} s per route, not counted)`);
    }
    const results = new Map<Scenario['key'], Measurement[]>(all.map(scenario => [scenario.key, []]));
    for (let round = 0; round < rounds; round += 1) {
      // Interleaved, and the order rotates each round so no route always runs first or last.
      const order = all.map((_s, i) => all[(i + round) % all.length]!);
      const line: string[] = [];
      for (const scenario of order) {
        const measurement = await measure(server, scenario, seconds, connections);
        results.get(scenario.key)!.push(measurement);
        line.push(`${scenario.key} ${fixed(measurement.rps, 0)} req/s`);
      }
      console.log(`round ${round + 1}: ${line.join(', ')}`);
    }

    const summary = all.map(scenario => {
      const runs = results.get(scenario.key)!;
      return {
        key: scenario.key,
        label: scenario.label,
        rps: runs.map(run => run.rps),
        medianRps: median(runs.map(run => run.rps)),
        medianP50Ms: median(runs.map(run => run.p50Ms)),
        medianP99Ms: median(runs.map(run => run.p99Ms)),
        serverCpuMicrosPerRequest: median(runs.map(run => run.serverCpuMicrosPerRequest)),
        serverCpuShare: median(runs.map(run => run.serverCpuShare)),
        loadGeneratorCpuShare: median(runs.map(run => run.loadGeneratorCpuShare)),
      };
    });
    const trivial = summary.find(entry => entry.key === 'trivial')!;
    console.log('');
    console.log(
      `${'route'.padEnd(58)} median req/s  p50 ms  p99 ms  server µs CPU/req  server cores  autocannon cores`,
    );
    for (const entry of summary) {
      console.log(
        `${entry.label.padEnd(58)} ${fixed(entry.medianRps, 0).padStart(12)}  ${fixed(entry.medianP50Ms, 1).padStart(6)}  ` +
          `${fixed(entry.medianP99Ms, 1).padStart(6)}  ${fixed(entry.serverCpuMicrosPerRequest, 0).padStart(17)}  ` +
          `${fixed(entry.serverCpuShare).padStart(12)}  ${fixed(entry.loadGeneratorCpuShare).padStart(16)}`,
      );
    }
    console.log('');
    const verdicts = summary
      .filter(entry => entry.key !== 'trivial')
      .map(entry => {
        const ratio = entry.medianRps / trivial.medianRps;
        const perRound = entry.rps.map((rps, i) => fixed(rps / trivial.rps[i]!));
        const pass = ratio >= RATIO_TARGET;
        // The same comparison in server CPU per request: what the ratio would be with the server alone on a
        // core. Less sensitive to other load on the machine; for reading the figures, not for the verdict.
        const cpuRatio = trivial.serverCpuMicrosPerRequest / entry.serverCpuMicrosPerRequest;
        console.log(
          `RATIO ${entry.key}/trivial = ${fixed(ratio)} (per round ${perRound.join(', ')}; target >= ${RATIO_TARGET}) ${verdict(pass)}`,
        );
        console.log(`      server CPU per request, trivial/${entry.key} = ${fixed(cpuRatio)}`);
        return { key: entry.key, ratio, pass, serverCpuRatio: cpuRatio };
      });
    writeResult('auth-throughput-bench', {
      bench: 'auth-throughput-bench',
      date: new Date().toISOString(),
      rounds,
      durationSeconds: seconds,
      connections,
      logLevel: flags.log,
      target: RATIO_TARGET,
      routes: summary,
      ratios: verdicts,
    });
    return verdicts.every(entry => entry.pass) ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

if (flags.serve) {
  serve().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    code => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
