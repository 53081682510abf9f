import { describe, expect, it } from 'vitest';
import { runRouteFuzz } from '../helpers/fuzz-run.js';

// About 400 requests keeps this file near half a minute on a loaded 2-core CI machine; longer
// runs (with a seed to replay) are `node --import tsx bench/fuzz-long.ts --runs N`.
const RUNS = 400;

describe('bad input, fuzzed (fast-check) against every route of a coordinator and an agent', () => {
  it('never answers 5xx, always an RS error on 4xx, leaves no file behind and gives the memory back', async () => {
    const outcome = await runRouteFuzz({ runs: RUNS });
    console.log(
      `fuzz: ${outcome.cases} cases tried; statuses ${JSON.stringify(outcome.statuses)}; heap ${outcome.heapBeforeMiB} -> ${outcome.heapAfterMiB} MiB`,
    );
    expect(outcome.failure).toBeUndefined();
    expect(outcome.cases).toBeGreaterThanOrEqual(RUNS / 2);
    expect(outcome.leftovers).toEqual([]);
    expect(outcome.unlisted).toEqual([]);
    expect(outcome.heapAfterMiB - outcome.heapBeforeMiB).toBeLessThan(64);
  }, 120_000);
});
