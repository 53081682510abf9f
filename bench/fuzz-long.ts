/**
 * The route fuzzer of test/integration/fuzz-routes.test.ts, for as long as you like: a coordinator
 * and an agent in this process, fuzzed requests against every route, then the same checks (no
 * 5xx, RS error bodies, no temp file left, heap back near its start).
 *
 *   npx tsc -b && node --import tsx bench/fuzz-long.ts --runs 20000 [--seed 42] [--concurrency 8]
 *
 * A failure prints fast-check's counterexample and seed: `--seed <it>` replays it.
 * Exit code: 0 when every property held, 1 when one failed, 2 when the run could not start.
 */
import { parseArgs } from 'node:util';
import { runRouteFuzz } from '../test/helpers/fuzz-run.js';
import { runBench } from './lib/util.js';

const HEAP_SLACK_MIB = 64;

runBench(async () => {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5000' },
      seed: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const started = Date.now();
  const outcome = await runRouteFuzz({
    runs: Number(values.runs),
    concurrency: Number(values.concurrency),
    ...(values.seed !== undefined && { seed: Number(values.seed) }),
  });
  const seconds = (Date.now() - started) / 1000;
  console.log(`fuzz: ${outcome.cases} cases tried in ${seconds.toFixed(1)} s`);
  console.log(`statuses: ${JSON.stringify(outcome.statuses)}`);
  console.log(`heap: ${outcome.heapBeforeMiB} -> ${outcome.heapAfterMiB} MiB`);
  const problems = [
    ...(outcome.failure ? [outcome.failure] : []),
    ...outcome.leftovers.map(file => `left behind: ${file}`),
    ...outcome.unlisted.map(folder => `artifact folder the agent does not list: ${folder}`),
    ...(outcome.heapAfterMiB - outcome.heapBeforeMiB > HEAP_SLACK_MIB ? ['heap did not come back'] : []),
  ];
  for (const problem of problems) console.error(problem);
  return problems.length === 0 ? 0 : 1;
});
