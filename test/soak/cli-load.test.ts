import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_ADMIN, startFleetCluster, type FleetCluster } from '../helpers/fleet-cluster.js';
import { killAllProcesses, runToExit } from '../helpers/processes.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

/** Debian's `chromium` package, when installed: the page is also rendered (the test never downloads a browser). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];

/** What a browser asks for when it opens the page, and how many bars each operation's chart draws. */
async function renderInBrowser(page: string): Promise<{ requests: string[]; bars: Record<string, number> }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const tab = await browser.newPage();
    const requests: string[] = [];
    tab.on('request', request => requests.push(request.url()));
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    const bars: Record<string, number> = {};
    const figures = tab.locator('figure[data-operation]');
    for (let index = 0; index < (await figures.count()); index += 1) {
      const figure = figures.nth(index);
      const op = (await figure.getAttribute('data-operation')) ?? '';
      // A bar of an empty bin is drawn 0.0 high.
      bars[op] = await figure.locator('svg rect:not([height="0.0"])').count();
    }
    return { requests, bars };
  } finally {
    await browser.close();
  }
}

interface LoadReport {
  ok: boolean;
  requests: number;
  server_errors: number;
  errors: number;
  errors_by_code: Record<string, number>;
  operations: Record<string, { count: number; p50_ms: number; p99_ms: number; max_ms: number; errors: number }>;
  verify: { clean: boolean };
}

describe('modfleet load against a coordinator and two agents (real processes)', () => {
  let cluster: FleetCluster;
  let tmp: string;
  const env = () => ({
    MODFLEET_URL: cluster.coordinator.url,
    MODFLEET_USER: FLEET_ADMIN.email,
    MODFLEET_PASSWORD: FLEET_ADMIN.password,
  });
  beforeAll(async () => {
    cluster = await startFleetCluster({ nodes: 2 });
    tmp = await makeTmpDir('modfleet-e2e-load');
  });
  afterAll(async () => {
    await cluster?.stop();
    await killAllProcesses();
    await removeDir(tmp);
  });

  it('runs a mix of every kind of operation, reports percentiles per operation, ends with a clean verify; exit 0', async () => {
    const result = await runToExit(
      [
        'load',
        '--allow-http-nodes',
        '--count',
        '24',
        '--concurrency',
        '3',
        '--mix',
        'read=4,local=1,push=1',
        '--size',
        '4KiB',
        '-o',
        'json',
      ],
      env(),
      120_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;

    expect(report.ok).toBe(true);
    expect(report.server_errors).toBe(0);
    expect(report.errors_by_code).toEqual({});
    expect(report.verify.clean).toBe(true);
    const ops = Object.keys(report.operations);
    expect(ops).toEqual(
      expect.arrayContaining([
        'local upload',
        'local delete',
        'fleet push',
        'fleet push action',
        'fleet delete action',
      ]),
    );
    expect(ops.some(op => op.startsWith('GET '))).toBe(true);
    for (const summary of Object.values(report.operations)) {
      expect(summary.count).toBeGreaterThan(0);
      expect(summary.p50_ms).toBeGreaterThan(0);
      expect(summary.p99_ms).toBeGreaterThanOrEqual(summary.p50_ms);
      expect(summary.max_ms).toBeGreaterThanOrEqual(summary.p99_ms);
    }
    // Everything the run created was deleted again: the fleet is as it began.
    expect(await cluster.fleetView()).toEqual([]);
  });

  it('exits 1 with the RS error when the credentials are refused', async () => {
    const result = await runToExit(
      ['load', '--allow-http-nodes', '--count', '5', '--mix', 'local=1', '--size', '1KiB', '-o', 'json'],
      { ...env(), MODFLEET_PASSWORD: 'not-the-password' },
      60_000,
    );
    // /v1/nodes is refused first: the run cannot start; under -o json the RS error body is on stdout.
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      error_code: expect.stringMatching(/unauthorized|authentication/i) as string,
    });
    expect(result.stderr).toMatch(/hint: check --user and --password/);
  });

  it('--report writes a self-contained HTML page with the summary and a histogram for every operation', async () => {
    const page = join(tmp, 'load-report.html');
    const result = await runToExit(
      [
        'load',
        '--allow-http-nodes',
        '--count',
        '12',
        '--mix',
        'read=2,local=1,push=1',
        '--size',
        '4KiB',
        '--report',
        page,
        '-o',
        'json',
      ],
      env(),
      120_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as LoadReport;
    const html = await readFile(page, 'utf8');

    // Nothing is fetched: no linked file, stylesheet, script or font; the only URL is the coordinator's, as text.
    expect(html).not.toMatch(/\s(src|href)\s*=|url\(|@import|<link/i);
    const urls = html.match(/https?:\/\/[^\s"'<)]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set([cluster.coordinator.url]));

    const data = /<script type="application\/json" id="latency-histograms">([^<]*)<\/script>/.exec(html);
    expect(data, 'the page embeds the histogram data').not.toBeNull();
    const bins = JSON.parse(data![1]!) as Record<string, { le_ms: number; count: number }[]>;
    expect(Object.keys(bins).sort()).toEqual(Object.keys(report.operations).sort());
    for (const [op, summary] of Object.entries(report.operations)) {
      // Every request of the operation is in one of its bins, and the page draws a chart for it.
      expect(
        bins[op]!.reduce((sum, bin) => sum + bin.count, 0),
        op,
      ).toBe(summary.count);
      expect(bins[op]!.at(-1)!.le_ms).toBeGreaterThanOrEqual(summary.max_ms);
      const figure = html.slice(
        html.indexOf(`<figure data-operation="${op.replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`),
      );
      expect(figure.slice(0, figure.indexOf('</figure>')), op).toMatch(/<svg[^>]*>.*<rect /s);
    }
    expect(html).toContain('Final verify: <span class="ok">clean</span>');

    if (existsSync(CHROMIUM)) {
      const rendered = await renderInBrowser(page);
      expect(rendered.requests).toEqual([pathToFileURL(page).href]);
      expect(Object.keys(rendered.bars).sort()).toEqual(Object.keys(report.operations).sort());
      for (const [op, bars] of Object.entries(rendered.bars)) expect(bars, op).toBeGreaterThan(0);
    }
  });

  it('--chaos refuses a cluster that `modfleet up` did not start, before sending any load', async () => {
    const result = await runToExit(
      ['load', '--allow-http-nodes', '--count', '4', '--mix', 'push=1', '--chaos'],
      env(),
      60_000,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/chaos_refused: .*was not started by `modfleet up`/);
    expect(await cluster.fleetView()).toEqual([]);
  });
});
