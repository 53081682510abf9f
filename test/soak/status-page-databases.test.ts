import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { artifactKey, pathTo, routes, type BdbObject, type NodeHostFacts, type ShardObject } from '@modfleet/common';
import { createFakeBdbStore, type FakeBdbStore } from '@modfleet/coordinator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { api } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';

// The databases panel on the coordinator's real app over fakes: databases are created through the
// API, the agents' part (reporting shards running) is played through the fake store.

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

const host = (redis: string): NodeHostFacts => ({
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
  supported_database_versions: [{ db_type: 'redis', version: `${redis}.15`, redis_version: redis }],
});

describe.skipIf(!HAS_CHROMIUM)('status page databases panel', () => {
  let coordinator: FakeCoordinator;
  let store: FakeBdbStore;
  let browser: Browser;
  let heartbeats: ReturnType<typeof setInterval> | undefined;

  beforeAll(async () => {
    store = createFakeBdbStore();
    coordinator = await startFakeCoordinator({
      databases: {
        store,
        inventory: { read: uid => Promise.resolve(new Map(held.get(uid))) },
        dbPorts: [[12000, 12009]],
      },
    });
    const { services } = coordinator;
    for (const [uid, addr] of [
      [1, '127.0.0.2'],
      [2, '127.0.0.3'],
    ] as const) {
      await services.nodes.register({
        uid,
        addr: `http://${addr}:9443`,
        instance_id: `agent-${uid}`,
        host: host('7.0'),
      });
    }
    // The agents' heartbeats: a node is down after 5 s without one.
    heartbeats = setInterval(() => [1, 2].forEach(uid => services.nodes.heartbeat(uid)), 1000);
    await services.modules.create({
      module_name: 'ft',
      version: 20804,
      semantic_version: '2.8.4',
      display_name: 'RediSearch',
      commands: [],
      command_line_args: '',
      capabilities: [],
      min_redis_version: '6.0',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  const held = new Map([1, 2].map(uid => [uid, new Map([[artifactKey('ft', 20804), 'a'.repeat(64)]])]));

  afterAll(async () => {
    clearInterval(heartbeats);
    await browser?.close();
    await coordinator?.stop();
  });

  async function openLoggedIn(width: number): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const problems: string[] = [];
    page.on('pageerror', err => problems.push(`page error: ${err.message}`));
    page.on('console', message => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(coordinator.url);
    await page.fill('#login-email', ADMIN.email);
    await page.fill('#login-password', ADMIN.password);
    await page.click('#login-submit');
    await page.locator('#app-view').waitFor({ state: 'visible' });
    return { page, problems };
  }

  it('shows a database created through the API: endpoint, module@version with args, each shard', async () => {
    const { page, problems } = await openLoggedIn(420);
    await page.locator('#databases-empty').waitFor({ state: 'visible' });

    const created = await api<BdbObject>(`${coordinator.url}${routes.bdbs}`, {
      method: 'POST',
      credentials: ADMIN,
      json: {
        name: 'search-db',
        memory_size: 100 * 1024 ** 2,
        replication: true,
        module_list: [{ module_name: 'ft', module_args: 'MAXSEARCHRESULTS 100' }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const { uid } = created.body;
    const card = page.locator(`#databases-list .db[data-uid="${uid}"]`);
    await card.locator('.db-head .badge:text-is("pending")').waitFor();
    expect(await card.locator('.db-shard[data-status="inactive"]').count()).toBe(2);

    // The agents report both shards running: the database settles to active.
    const shards = await api<ShardObject[]>(`${coordinator.url}${pathTo(routes.bdbShards, { uid })}`, {
      credentials: ADMIN,
    });
    for (const shard of shards.body) {
      store.report(Number(shard.uid), {
        node_uid: Number(shard.node_uid),
        state: 'running',
        updated_at: new Date().toISOString(),
      });
    }
    await card.locator('.db-head .badge:text-is("active")').waitFor();
    await page.locator('.db-shard[data-status="active"]').nth(1).waitFor();

    const bdb = (await api<BdbObject>(`${coordinator.url}${pathTo(routes.bdb, { uid })}`, { credentials: ADMIN })).body;
    const endpoint = bdb.endpoints[0]!;
    expect(await card.locator('.db-name').textContent()).toBe(`db ${uid} · search-db`);
    expect(await card.locator('.db-endpoint').textContent()).toBe(`${endpoint.addr[0]}:${endpoint.port}`);
    expect(await card.locator('.db-module-name').allTextContents()).toEqual(['ft@2.8.4']);
    expect(await card.locator('.db-module-args').allTextContents()).toEqual(['MAXSEARCHRESULTS 100']);
    const rows = await Promise.all(
      (await card.locator('.db-shard').all()).map(item =>
        Promise.all(['.db-shard-node', '.db-shard-role', '.badge'].map(part => item.locator(part).textContent())),
      ),
    );
    const expected = shards.body.map(shard => [`node ${shard.node_uid}`, shard.role, 'active']);
    expect(rows).toEqual(expected);
    expect(expected.map(row => row[1]).sort()).toEqual(['master', 'slave']);
    expect(await page.locator('#databases-summary').textContent()).toBe('1 of 1 active');

    // Readable at 420 px: the card stays inside the viewport, nothing scrolls sideways.
    const box = await card.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(420);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(420);

    // A shard that does not start: the card says why, in the redis-server's words.
    const failing = await api<BdbObject>(`${coordinator.url}${routes.bdbs}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { name: 'broken-db', memory_size: 0, module_list: [{ module_name: 'ft', module_args: '' }] },
    });
    expect(failing.status).toBe(200);
    const [failingShard] = (
      await api<ShardObject[]>(`${coordinator.url}${pathTo(routes.bdbShards, { uid: failing.body.uid })}`, {
        credentials: ADMIN,
      })
    ).body;
    store.report(Number(failingShard!.uid), {
      node_uid: Number(failingShard!.node_uid),
      state: 'failed',
      error: 'Module /x/ft.so failed to load',
      updated_at: new Date().toISOString(),
    });
    const failedCard = page.locator(`#databases-list .db[data-uid="${failing.body.uid}"]`);
    await failedCard.locator('.db-head .badge:text-is("creation-failed")').waitFor();
    expect(await failedCard.locator('.db-reason').textContent()).toContain('Module /x/ft.so failed to load');
    expect(await failedCard.locator('.db-module-args').isVisible()).toBe(false);
    expect(await card.locator('.db-reason').isVisible()).toBe(false);
    expect(await page.locator('#databases-summary').textContent()).toBe('1 of 2 active');

    const deleted = await api(`${coordinator.url}${pathTo(routes.bdb, { uid })}`, {
      method: 'DELETE',
      credentials: ADMIN,
    });
    expect(deleted.status).toBe(200);
    await card.locator('.db-head .badge:text-is("delete-pending")').waitFor();
    expect(problems).toEqual([]);
  });
});
