/**
 * CLI start bench: how long `modfleet` takes to start, against `node -e 0` (the runtime's own start)
 * timed alternately in the same run, so both see the same machine load. Two commands:
 *   - `modfleet --version`: target ≤ 3 × `node -e 0` (median of each);
 *   - `modfleet nodes` against a running coordinator with one agent (processes of the built CLI,
 *     plain HTTP on 127.0.0.1): target ≤ 0.4 s absolute (median), with its ratio to `node -e 0`.
 * Each spawn is timed from spawn to exit, as a shell would see it. The load average is printed
 * beside each figure: on a shared machine it explains most of the spread.
 *
 *   npx tsc -b && npx tsx bench/cli-start-bench.ts [--runs 20] [--nodes 1] [--cli path/to/dist/main.js]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { routes } from '@modfleet/common/contract';
import { cleanEnv } from '../test/helpers/cli-run.js';
import { FLEET_ADMIN } from '../test/helpers/fleet-types.js';
import { basicAuth } from '../test/helpers/http.js';
import { REPO_ROOT } from '../test/helpers/processes.js';
import { startBenchFleet } from './lib/fleet-cluster.js';
import { checkBuild, Cleanup, fixed, machineLine, median, runBench, verdict, writeResult } from './lib/util.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    nodes: { type: 'string', default: '1' },
    // Another build's entry (an older checkout's packages/cli/dist/main.js), to compare before and after.
    cli: { type: 'string', default: join(REPO_ROOT, 'packages', 'cli', 'dist', 'main.js') },
  },
});
const runs = Number(flags.runs);
const nodes = Number(flags.nodes);
const CLI = flags.cli;
const VERSION_TARGET_RATIO = 3;
const NODES_TARGET_MS = 400;

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One `node <args>` from spawn to exit. */
async function timeNode(args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { ms: performance.now() - started, code, stdout, stderr };
}

interface Pair {
  baselineMs: number[];
  cliMs: number[];
  /** The same request from this process (a warm client), after each CLI run: the server's share. */
  requestMs: number[];
  /** 1-minute load average before and after the pair's runs. */
  load: [number, number];
}

/** `node -e 0` and the CLI command, alternately, `runs` times each; the CLI's answer checked every time. */
async function alternate(
  cliArgs: string[],
  env: NodeJS.ProcessEnv,
  check: (run: Timed) => void,
  request?: () => Promise<void>,
): Promise<Pair> {
  const pair: Pair = { baselineMs: [], cliMs: [], requestMs: [], load: [loadavg()[0]!, 0] };
  // One of each first, not counted: the files are in the page cache for every counted run.
  await timeNode(['-e', '0'], env);
  check(await timeNode([CLI, ...cliArgs], env));
  for (let run = 0; run < runs; run += 1) {
    pair.baselineMs.push((await timeNode(['-e', '0'], env)).ms);
    const cli = await timeNode([CLI, ...cliArgs], env);
    check(cli);
    pair.cliMs.push(cli.ms);
    if (request) {
      const started = performance.now();
      await request();
      pair.requestMs.push(performance.now() - started);
    }
  }
  pair.load[1] = loadavg()[0]!;
  return pair;
}

function expectExit(run: Timed, what: string): void {
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}:\n${run.stdout}${run.stderr}`);
}

async function main(): Promise<number> {
  checkBuild();
  const cleanup = new Cleanup();
  try {
    const configHome = await cleanup.tmpDir('cli-start-config');
    // No saved context, no MODFLEET_* of the developer's: the CLI as a fresh shell runs it.
    const env = cleanEnv({ XDG_CONFIG_HOME: configHome });

    const version = await alternate(['--version'], env, run => {
      expectExit(run, 'modfleet --version');
      if (run.stdout.trim() === '') throw new Error('modfleet --version printed nothing');
    });
    const versionRatio = median(version.cliMs) / median(version.baselineMs);
    const versionPass = versionRatio <= VERSION_TARGET_RATIO;

    const fleet = await startBenchFleet('cli-start', cleanup, { nodes, logLevel: 'warn' });
    const nodesEnv = { ...env, MODFLEET_PASSWORD: FLEET_ADMIN.password };
    const listed = await alternate(
      ['nodes', '-o', 'json', '--url', fleet.coordinatorUrl, '--user', FLEET_ADMIN.email],
      nodesEnv,
      run => {
        expectExit(run, 'modfleet nodes');
        const answer = JSON.parse(run.stdout) as unknown[];
        if (answer.length !== nodes) throw new Error(`modfleet nodes listed ${answer.length} nodes, not ${nodes}`);
      },
      async () => {
        const res = await fetch(`${fleet.coordinatorUrl}${routes.nodes}`, {
          headers: { authorization: basicAuth(FLEET_ADMIN), accept: 'application/json' },
        });
        if (res.status !== 200) throw new Error(`GET ${routes.nodes} answered ${res.status}`);
        await res.arrayBuffer();
      },
    );
    const nodesMs = median(listed.cliMs);
    const nodesRatio = nodesMs / median(listed.baselineMs);
    const nodesPass = nodesMs <= NODES_TARGET_MS;

    const loadText = (pair: Pair) => `load ${fixed(pair.load[0], 1)} → ${fixed(pair.load[1], 1)}`;
    console.log(machineLine());
    console.log(`${CLI}: ${runs} runs of each, alternating with node -e 0`);
    console.log(
      `modfleet --version  p50 ${fixed(median(version.cliMs), 0)} ms vs node -e 0 p50 ${fixed(median(version.baselineMs), 0)} ms ` +
        `(${loadText(version)}): ratio ${fixed(versionRatio)} (target ≤ ${VERSION_TARGET_RATIO}) ${verdict(versionPass)}`,
    );
    console.log(
      `modfleet nodes      p50 ${fixed(nodesMs, 0)} ms (target ≤ ${NODES_TARGET_MS} ms) ${verdict(nodesPass)}; ` +
        `vs node -e 0 p50 ${fixed(median(listed.baselineMs), 0)} ms: ratio ${fixed(nodesRatio)} (${loadText(listed)})`,
    );
    console.log(
      `                    the coordinator's answer to GET ${routes.nodes} (a warm client in this process) p50 ${fixed(median(listed.requestMs), 0)} ms`,
    );
    writeResult('cli-start-bench', {
      runs,
      nodes,
      version: { ...version, ratio: versionRatio, target: VERSION_TARGET_RATIO, pass: versionPass },
      list: { ...listed, medianMs: nodesMs, ratio: nodesRatio, targetMs: NODES_TARGET_MS, pass: nodesPass },
    });
    return versionPass && nodesPass ? 0 : 1;
  } finally {
    await cleanup.run();
  }
}

runBench(main);
