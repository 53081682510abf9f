import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { routes, type NodeView } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';

/** Debian's `chromium` package; the test never downloads a browser. */
const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SKIP_REASON = `no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`;
/** The README's screenshot is refreshed only on request (UPDATE_SCREENSHOT=1), so test runs leave the tree clean. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/status-page.png', import.meta.url))
  : join(tmpdir(), 'modfleet-status-page.png');
const WAIT_MS = 15_000;

/** Without the background-networking flags Chromium keeps calling out to Google services. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

if (!HAS_CHROMIUM) console.warn(`status-page browser tests skipped: ${SKIP_REASON}`);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('status page', () => {
  let cluster: TestCluster;
  let url: string;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2 });
    url = cluster.coordinator.url;
    await until('both agents to be active', async () => {
      const { body } = await api<NodeView[]>(`${url}${routes.nodes}`, { credentials: ADMIN });
      return body.length === 2 && body.every(node => node.status === 'active') ? true : undefined;
    });
    if (HAS_CHROMIUM)
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await Promise.allSettled(contexts.map(context => context.close()));
    await browser?.close();
    await cluster?.stop();
  });

  /** A fresh browser profile on the page, failing the test on any script error or CSP violation. */
  async function openPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const problems: string[] = [];
    page.on('pageerror', err => problems.push(`page error: ${err.message}`));
    page.on('console', message => {
      // Chromium logs every non-2xx fetch; the refused logins are expected.
      if (message.type() === 'error' && !/status of 401/.test(message.text())) {
        problems.push(`console: ${message.text()}`);
      }
    });
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    await page.locator('#login-form').waitFor();
    return { page, problems };
  }

  async function logIn(page: Page, password: string): Promise<void> {
    await page.fill('#login-email', ADMIN.email);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
  }

  /** Everything the page holds as markup or shows as text. */
  async function pageText(page: Page): Promise<string> {
    return (await page.content()) + (await page.locator('body').innerText());
  }

  async function waitForCount(page: Page, selector: string, count: number): Promise<void> {
    await until(`${count} × ${selector}`, async () =>
      (await page.locator(selector).count()) === count ? true : undefined,
    );
  }

  it('serves the shell at / without credentials, with its security headers, while the API still wants them', async () => {
    const res = await fetch(`${url}/`);
    const html = await res.text();
    const assets = await Promise.all(
      ['/app.js', '/style.css', '/fleet-panel.js', '/contract/routes.js'].map(path => fetch(`${url}${path}`)),
    );
    const unserved = await Promise.all(
      ['/contract/routes.d.ts', '/contract/routes.js.map', '/tsconfig.json'].map(path => fetch(`${url}${path}`)),
    );
    const anonymousApi = await fetch(`${url}${routes.nodes}`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('id="login-form"');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(assets.map(asset => asset.status)).toEqual([200, 200, 200, 200]);
    expect(assets[0]?.headers.get('content-type')).toMatch(/javascript/);
    expect(assets[3]?.headers.get('content-type')).toMatch(/javascript/);
    expect(await assets[3]?.text()).toContain(`fleetArtifacts: '${routes.fleetArtifacts}'`);
    expect(unserved.map(file => file.status)).toEqual([404, 404, 404]);
    expect(anonymousApi.status).toBe(401);
  });

  it.skipIf(!HAS_CHROMIUM)('refuses a wrong password on the login form and never shows it', async () => {
    const { page, problems } = await openPage();

    await logIn(page, 'not-the-admin-password');

    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.locator('#login-error').textContent()).toMatch(/wrong email or password/i);
    expect(await page.locator('#login-view').isVisible()).toBe(true);
    expect(await page.locator('#app-view').isVisible()).toBe(false);
    expect(await pageText(page)).not.toContain('not-the-admin-password');
    expect(await page.inputValue('#login-password')).toBe('');
    expect(problems).toEqual([]);
  });

  it.skipIf(!HAS_CHROMIUM)(
    'logs in, shows both nodes active, and follows a fleet push to 100% on every node',
    async () => {
      const { page, problems } = await openPage();
      await logIn(page, ADMIN.password);

      await page.locator('#app-view').waitFor({ state: 'visible' });
      expect(await page.locator('#user-email').textContent()).toBe(ADMIN.email);
      await page.locator('#cluster-name:text-is("modfleet")').waitFor();
      await waitForCount(page, '#nodes-body tr[data-status="active"]', 2);
      expect(await page.locator('#nodes-body tr').count()).toBe(2);
      expect(await page.locator('#nodes-body .badge').allTextContents()).toEqual(['active', 'active']);

      // An artifact uploaded to node 2 directly, the RS way, outside the fleet.
      const local = await api(`${cluster.agents[1]!.url}${routes.localArtifacts}`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(await buildArtifactZip({ manifest: { module_name: 'legacy-module', version: 3 } })),
      });
      expect(local.status).toBe(200);

      const zip = await buildArtifactZip({ manifest: { module_name: 'StatusPageModule', version: 7 } });
      const pushed = await api<{ action_uid: string }>(`${url}${routes.fleetArtifacts}`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(pushed.status).toBe(202);
      const { action_uid } = pushed.body;

      const cardSelector = `.action[data-action-uid="${action_uid}"]`;
      const card = page.locator(cardSelector);
      await card.waitFor();
      await page.locator(`${cardSelector}[data-status="completed"] .overall [aria-valuenow="100"]`).waitFor();
      await waitForCount(
        page,
        `${cardSelector} .op[data-status="completed"] [role="progressbar"][aria-valuenow="100"]`,
        2,
      );
      expect(await card.locator('.op').count()).toBe(2);
      expect(await card.locator('.op-status').allTextContents()).toEqual(['completed', 'completed']);
      expect(await card.locator('.overall .pct').textContent()).toBe('100%');
      expect(await card.locator('.op .pct').allTextContents()).toEqual(['100%', '100%']);
      expect(await card.locator('.op-node').allTextContents()).toEqual(['node 1', 'node 2']);
      expect(await card.locator('.action-object').textContent()).toContain('StatusPageModule@7');

      const row = page.locator('#fleet-body tr[data-artifact="StatusPageModule@7"]');
      await waitForCount(page, '#fleet-body tr[data-artifact="StatusPageModule@7"] td[data-state="installed"]', 2);
      for (const node of ['1', '2']) {
        const cell = row.locator(`td[data-node="${node}"]`);
        expect(await cell.locator('.state').textContent()).toBe('installed');
        // The test artifact's .so is random bytes: each node's load check says it does not load
        // (reported, since the default module_load_check is warn; the agents may lack redis-server).
        expect(await cell.locator('.load-check').textContent()).toMatch(/^load (failed|skipped)$/);
      }
      expect(await row.locator('.artifact-meta').textContent()).toMatch(/sha256 [0-9a-f]{12}/);
      const localRow = page.locator('#fleet-body tr[data-artifact="legacy-module@3"][data-in-fleet="false"]');
      await localRow.locator('td[data-node="2"][data-state="extra"]').waitFor();
      expect(await localRow.locator('.tag').allTextContents()).toEqual(['extra']);
      expect(await localRow.locator('td[data-node="1"]').getAttribute('data-state')).toBe('absent');

      expect(await pageText(page)).not.toContain(ADMIN.password);
      expect(await page.evaluate('localStorage.length')).toBe(0);
      expect(problems).toEqual([]);

      // Let the bars' width transition settle so the picture shows the finished state.
      await page.waitForTimeout(600);
      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      await page.click('#logout');
      await page.locator('#login-view').waitFor({ state: 'visible' });
      expect(await page.locator('#login-error').textContent()).toMatch(/logged out/);
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      expect(await page.locator('#nodes-body tr').count()).toBe(0);
    },
  );

  it.skipIf(!HAS_CHROMIUM)('returns to the login form with a message once the API answers 401', async () => {
    const { page } = await openPage();
    await logIn(page, ADMIN.password);
    await page.locator('#app-view').waitFor({ state: 'visible' });

    // What a password change looks like to an open tab: the stored credentials stop working.
    await page.evaluate(`(() => {
      const key = 'modfleet.status.session';
      const session = JSON.parse(sessionStorage.getItem(key));
      sessionStorage.setItem(key, JSON.stringify({ ...session, authorization: 'Basic ' + btoa('${ADMIN.email}:wrong') }));
    })()`);
    await page.reload();

    await page.locator('#login-error').waitFor({ state: 'visible' });
    expect(await page.locator('#login-error').textContent()).toMatch(/no longer accepted/);
    expect(await page.locator('#app-view').isVisible()).toBe(false);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });
});
