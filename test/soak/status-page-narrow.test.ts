import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  routes,
  type ActionObject,
  type BdbObject,
  type FleetArtifactView,
  type LogEvent,
  type NodeHostFacts,
  type StateMachineObject,
} from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { ADMIN } from '../helpers/in-process-cluster.js';

// The status page at a phone's width (420 px) and a laptop's (1280 px), in Debian's Chromium, on
// the coordinator's real app over fakes. Nodes and modules are real records of the fake stores;
// the fleet view, the actions, the databases and the upgrade's state machine are answers seeded in
// the browser, so the page is tested on exactly the cases a user must be able to read.

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
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
const WAIT_MS = 10_000;
const SHA = 'a'.repeat(64);
const LOAD_REASON = 'Module /var/lib/modfleet/JSONish/1/jsonish.so failed to load: undefined symbol RedisModule_Init';

const host: NodeHostFacts = {
  architecture: 'x86_64',
  cores: 2,
  total_memory: 8 * 1024 ** 3,
  os_family: 'linux',
  os_name: 'Debian',
  os_semantic_version: '12',
  os_version: 'Debian 12',
  boot_time: new Date().toISOString(),
  software_version: '0.0.0',
  persistent_storage_path: '/tmp',
  persistent_storage_size: 0,
  ephemeral_storage_path: '/tmp',
  ephemeral_storage_size: 0,
  supported_database_versions: [{ db_type: 'redis', version: '7.2.15', redis_version: '7.2' }],
};

const checked = (status: 'passed' | 'failed', reason: string) => ({
  status,
  reason,
  checked_at: new Date().toISOString(),
});

/** Node 3 is the only one holding the extra artifact, and the one whose load check failed. */
const fleet: FleetArtifactView[] = [
  {
    module_name: 'JSONish',
    version: 1,
    in_fleet: true,
    sha256: SHA,
    size: 2048,
    target_nodes: 'all',
    nodes: {
      '1': { state: 'installed', sha256: SHA, load_check: checked('passed', 'loaded') },
      '2': { state: 'pending', action_uid: 'a-push' },
      '3': { state: 'failed', sha256: SHA, error: 'load check failed', load_check: checked('failed', LOAD_REASON) },
    },
  },
  {
    module_name: 'LocalTool',
    version: 1,
    in_fleet: false,
    sha256: null,
    size: null,
    target_nodes: [],
    nodes: { '3': { state: 'installed', sha256: 'b'.repeat(64) } },
  },
];

const ACTION_NAME = 'install_module_artifacts_on_every_node';
const actions: ActionObject[] = [
  {
    action_uid: 'a-push',
    action_type: 'task',
    name: ACTION_NAME,
    status: 'running',
    progress: 40,
    creation_time: Math.floor(Date.now() / 1000),
    additional_info: {
      description: 'Install JSONish@1 on every node',
      object_type: 'module_artifact',
      object_uid: 'JSONish@1',
      pending_ops: {
        '1': { status: 'completed', progress: 100, attempts: 1, error: null },
        '2': { status: 'running', progress: 20, attempts: 1, error: null },
      },
    },
  },
];

describe.skipIf(!HAS_CHROMIUM)('status page at 420 and 1280 px', () => {
  let coordinator: FakeCoordinator;
  let browser: Browser;
  let heartbeats: ReturnType<typeof setInterval> | undefined;
  let oldFt = '';
  let newFt = '';

  beforeAll(async () => {
    coordinator = await startFakeCoordinator();
    const { services } = coordinator;
    for (const uid of [1, 2, 3]) {
      await services.nodes.register({ uid, addr: `http://127.0.0.${uid + 1}:9443`, instance_id: `agent-${uid}`, host });
    }
    heartbeats = setInterval(() => [1, 2, 3].forEach(uid => services.nodes.heartbeat(uid)), 1000);
    const definition = {
      module_name: 'ft',
      display_name: 'RediSearch',
      commands: [],
      command_line_args: '',
      capabilities: [],
      min_redis_version: '6.0',
    };
    oldFt = (await services.modules.create({ ...definition, version: 20804, semantic_version: '2.8.4' })).uid;
    newFt = (await services.modules.create({ ...definition, version: 21000, semantic_version: '2.10.0' })).uid;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    clearInterval(heartbeats);
    await browser?.close();
    await coordinator?.stop();
  });

  function upgradingBdb(): BdbObject {
    return {
      uid: 9,
      name: 'search',
      type: 'redis',
      status: 'active-change-pending',
      memory_size: 100 * 1024 ** 2,
      port: 0,
      endpoints: [
        { uid: '9:1', addr: ['127.0.0.2'], addr_type: 'external', dns_name: '', port: 12000, proxy_policy: 'single' },
      ],
      module_list: [{ module_name: 'ft', module_args: '', module_id: oldFt, semantic_version: '2.8.4' }],
      redis_version: '7.2',
      version: '7.2.15',
      replication: false,
      data_persistence: 'disabled',
      shards_count: 1,
      sharding: false,
      shards_placement: 'dense',
      shard_list: [1],
      created_time: new Date().toISOString(),
      last_changed_time: new Date().toISOString(),
      action_uid: 'sm-upgrade-9',
    };
  }

  function upgradeMachine(): StateMachineObject {
    const now = Math.floor(Date.now() / 1000);
    const entry = (semantic_version: string, module_id: string) => ({
      module_name: 'ft',
      module_args: '',
      module_id,
      semantic_version,
    });
    return {
      action_uid: 'sm-upgrade-9',
      name: 'SMUpgradeBDB',
      object_name: 'bdb:9',
      status: 'active',
      progress: 50,
      heartbeat: now,
      creation_time: now,
      state: 'restart',
      states: [
        { state: 'preflight', at: now },
        { state: 'restart', at: now },
      ],
      modules: [{ module_name: 'ft', from: entry('2.8.4', oldFt), to: entry('2.10.0', newFt) }],
    };
  }

  /** Serves the seeded answers; everything else (login, nodes, modules) reaches the fake coordinator. */
  async function seed(page: Page): Promise<void> {
    const json = (body: unknown) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    await page.route(`**${routes.fleetArtifacts}`, route => route.fulfill(json(fleet)));
    await page.route(`**${routes.actions}?*`, route => route.fulfill(json(actions)));
    await page.route(`**${routes.bdbs}`, route => route.fulfill(json([upgradingBdb()])));
    await page.route(`**${routes.bdbs}/9/shards`, route => route.fulfill(json([])));
    await page.route(`**${routes.v1Actions}/sm-upgrade-9`, route => route.fulfill(json(upgradeMachine())));
    const started: LogEvent = {
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      type: 'module_artifact_push_started',
      severity: 'INFO',
      user: 'ops@fleet.local',
      client_addr: '10.0.0.7',
      action_uid: 'a-push',
      module_name: 'JSONish',
      version: 1,
    };
    await page.route(`**${routes.logs}?*`, route => route.fulfill(json([started])));
  }

  async function open(width: number): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const problems: string[] = [];
    page.on('pageerror', err => problems.push(`page error: ${err.message}`));
    page.on('console', message => {
      if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(message.text());
    });
    await seed(page);
    await page.goto(coordinator.url);
    await page.locator('#login-form').waitFor();
    return { page, problems };
  }

  async function logIn(page: Page): Promise<void> {
    await page.fill('#login-email', ADMIN.email);
    await page.fill('#login-password', ADMIN.password);
    await page.click('#login-submit');
    await page.locator('#fleet-body tr[data-artifact="LocalTool@1"]').waitFor();
  }

  /** The element's box lies inside the viewport's width: nothing of it is cut on the right. */
  async function insideWidth(page: Page, selector: string, width: number): Promise<void> {
    const boxes = await Promise.all((await page.locator(selector).all()).map(item => item.boundingBox()));
    expect(boxes.length, selector).toBeGreaterThan(0);
    for (const box of boxes) {
      expect(box, `${selector} is rendered`).not.toBeNull();
      expect(box!.x, selector).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, selector).toBeLessThanOrEqual(width);
    }
  }

  it('tells a refused user where the local login is written', async () => {
    const { page } = await open(420);
    await page.fill('#login-email', ADMIN.email);
    await page.fill('#login-password', 'wrong');
    await page.click('#login-submit');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    const hint = page.locator('#login-hint');
    expect(await hint.isVisible()).toBe(true);
    expect(await hint.innerText()).toMatch(/modfleet up.*start banner.*~\/\.config\/modfleet\/config\.json/s);
    await insideWidth(page, '#login-hint', 420);
    await page.screenshot({ path: join(tmpdir(), 'modfleet-status-login-420.png') });
  });

  it('at 420 px: one card per artifact with node 3 readable, a load reason opened by keyboard, full titles', async () => {
    const { page, problems } = await open(420);
    await logIn(page);

    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    // Each node's name, address, status and heartbeat stay on screen.
    await page.locator('#nodes-body tr[data-status="active"]').nth(2).waitFor();
    await insideWidth(page, '#nodes-body td', 420);
    await page.locator('#fleet-body td[data-node="3"][data-state="extra"]').waitFor();
    // Every node's cell of every artifact, node 3 included, is on screen and named.
    await insideWidth(page, '#fleet-body td[data-node="3"]', 420);
    await insideWidth(page, '#fleet-body .fleet-row', 420);
    const localCells = page.locator('#fleet-body tr[data-artifact="LocalTool@1"] td[data-node="3"]');
    expect(await localCells.locator('.cell-node').innerText()).toBe('node 3');
    expect(await localCells.locator('.state').innerText()).toBe('extra');
    expect(await page.locator('#fleet-body tr[data-artifact="LocalTool@1"] .tag').allInnerTexts()).toEqual(['extra']);

    // The load check's reason: hidden until its disclosure is opened from the keyboard.
    const failed = page.locator('#fleet-body tr[data-artifact="JSONish@1"] td[data-node="3"]');
    const reason = failed.locator('.cell-reason');
    expect(await reason.isVisible()).toBe(false);
    await failed.locator('summary').focus();
    await page.keyboard.press('Enter');
    await reason.waitFor({ state: 'visible' });
    expect(await reason.innerText()).toContain(LOAD_REASON);
    await insideWidth(page, '#fleet-body tr[data-artifact="JSONish@1"] td[data-node="3"] .cell-reason', 420);
    // Still open after the next polls.
    await page.waitForTimeout(2500);
    expect(await reason.isVisible()).toBe(true);

    // The action's title in full, on screen.
    const title = page.locator('.action[data-action-uid="a-push"] .action-name');
    expect(await title.innerText()).toBe(ACTION_NAME);
    const fits = await title.evaluate((node: { scrollWidth: number; clientWidth: number }) => [
      node.scrollWidth,
      node.clientWidth,
    ]);
    expect(fits[0], 'the title is not cut').toBeLessThanOrEqual(fits[1]!);
    await insideWidth(page, '.action[data-action-uid="a-push"] .action-name', 420);
    // Who started it, from where (the cluster event log).
    expect(await page.locator('.action[data-action-uid="a-push"] .action-user').innerText()).toBe(
      'by ops@fleet.local from 10.0.0.7',
    );

    // Every state word shown on the page is explained in the legend.
    const legend = await page.locator('#fleet-legend').innerText();
    const shown = new Set(await page.locator('#fleet-body .state').allInnerTexts());
    for (const word of shown) expect(legend).toContain(word);
    expect(legend).toMatch(/extra\s+on the node, never pushed through the fleet/);
    expect(legend).toMatch(/load failed/);

    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    await page.screenshot({ path: join(tmpdir(), 'modfleet-status-420.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('shows the modules tables and a database upgrade in progress', async () => {
    const { page, problems } = await open(420);
    await logIn(page);

    await page.locator('#cluster-modules-body tr[data-module="ft"]').waitFor();
    expect(await page.locator('#cluster-modules-body tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^RediSearch\s+2\.10\.0\s+≥ 6\.0/) as string,
    ]);
    const dbRow = page.locator('#database-modules-body tr[data-db="db:9"][data-module="ft"]');
    expect(await dbRow.locator('td').allInnerTexts()).toEqual([
      'db:9 search',
      'RediSearch',
      '2.8.4',
      'OK, OLD MODULE VERSION',
    ]);
    await insideWidth(page, '#database-modules-body td', 420);

    const upgrade = page.locator('#databases-list .db[data-uid="9"] .db-upgrade');
    await upgrade.waitFor({ state: 'visible' });
    expect(await upgrade.locator('.db-upgrade-state').innerText()).toBe('upgrading modules: restart (step 2)');
    expect(await upgrade.locator('.db-upgrade-move').allInnerTexts()).toEqual(['ft 2.8.4 → 2.10.0']);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);
    expect(problems).toEqual([]);
  });

  it('at 1280 px: the matrix keeps its header row and every node column on screen', async () => {
    const { page, problems } = await open(1280);
    await logIn(page);
    expect(await page.locator('#fleet-head th').allInnerTexts()).toEqual(['ARTIFACT', 'NODE 1', 'NODE 2', 'NODE 3']);
    expect(await page.locator('#fleet-body .cell-node').first().isVisible()).toBe(false);
    await insideWidth(page, '#fleet-head th', 1280);
    await insideWidth(page, '#fleet-body td[data-node="3"]', 1280);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(tmpdir(), 'modfleet-status-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
