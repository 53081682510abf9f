/**
 * Every ```sh block of the README and of the pages under docs/ it links to, run by bash exactly as
 * written, against a cluster that the README's own `npm start` block starts. The README reads the coordinator's URL and ports
 * from variables with defaults (MODFLEET_URL, MODFLEET_PORT, COORDINATOR_PORT, AGENT_PORT), so the
 * test points them at free ports while the text stays what a user types. Blocks that cannot run
 * here carry a `<!-- readme-test: skip: why -->` marker; the test lists them and checks the set.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollFor } from '../helpers/poll.js';
import { documentedShellBlocks, type ReadmeBlock } from '../helpers/readme-blocks.js';
import {
  freePort,
  freePortRange,
  killAllProcesses,
  REPO_ROOT,
  runProcess,
  waitUntil,
  type Env,
  type ModfleetProcess,
} from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import { httpsGet } from '../helpers/tls.js';

/** What the README's blocks write into the folder they run in (the clone). */
const WRITTEN = [
  'mymodule.so',
  'custom-module.zip',
  'module.json',
  'MyModule-10203.zip',
  'ft-10200.zip',
  'ramp',
  'search-10200.zip',
  'mfver-1.0.0.zip',
  'mfver-1.1.0.zip',
  '.modfleet/solo',
];
/** Under load a block of CLI commands takes minutes: each `npx modfleet` starts a node process. */
const BLOCK_TIMEOUT_MS = 240_000;
const LOCAL_ADMIN = { email: 'admin@modfleet.local', password: 'modfleet-local-admin' };
const blocks = documentedShellBlocks();
const find = (snippet: string): ReadmeBlock => {
  const block = blocks.find(candidate => candidate.text.includes(snippet));
  if (!block) throw new Error(`no README or docs/ block contains ${snippet}`);
  return block;
};

function bash(block: ReadmeBlock, env: Env): ModfleetProcess {
  return runProcess(
    'bash',
    ['-e', '-o', 'pipefail', '-c', block.text],
    { REDIS_URL, ...env },
    `${block.file}:${block.line}`,
  );
}

/** Runs a block to the end of its bash (background jobs it started may live on); asserts exit 0. */
async function runToEnd(block: ReadmeBlock, env: Env, timeoutMs = 180_000): Promise<string> {
  const run = bash(block, env);
  await waitUntil(() => !run.isRunning(), `${block.file}:${block.line} to finish`, timeoutMs);
  expect(run.child.exitCode, `${block.file}:${block.line}\n${block.text}\n--- output\n${run.output()}`).toBe(0);
  return run.stdout();
}

describe('the README, tried as a new user would', () => {
  const prefixes = [uniquePrefix(), uniquePrefix()];
  const backups: [string, string][] = [];
  let dataDir: string;
  let npmPrefix: string;
  let env: Env;
  const caFile = () => join(dataDir, 'tls', 'ca.pem');

  beforeAll(async () => {
    // A developer's own files of these names are put aside, not overwritten.
    for (const name of WRITTEN) {
      const path = join(REPO_ROOT, name);
      if (!existsSync(path)) continue;
      await rename(path, `${path}.readme-test-backup`);
      backups.push([`${path}.readme-test-backup`, path]);
    }
    dataDir = await makeTmpDir('modfleet-readme');
    npmPrefix = await makeTmpDir('modfleet-readme-npm');
    const port = await freePortRange(4);
    // The CLI finds the CA of a cluster started in the clone by itself; this one's data dir is elsewhere.
    env = { MODFLEET_URL: `https://127.0.0.1:${port}`, MODFLEET_PORT: String(port), MODFLEET_CA: caFile() };
    const start = bash(find('npm start'), {
      MODFLEET_PORT: String(port),
      MODFLEET_HTTP_PORT: String(await freePort()),
      MODFLEET_DATA_DIR: dataDir,
      MODFLEET_PREFIX: prefixes[0],
    });
    await start.waitForOutput(/Ctrl-C stops the cluster/, 150_000);
  }, 180_000);

  afterAll(async () => {
    await killAllProcesses();
    for (const name of WRITTEN) await rm(join(REPO_ROOT, name), { recursive: true, force: true });
    for (const [from, to] of backups) await rename(from, to);
    for (const prefix of prefixes) await deletePrefix(prefix);
    await removeDir(dataDir);
    await removeDir(npmPrefix);
  }, 60_000);

  it('marks only the blocks that cannot run here, each with its reason', () => {
    const skipped = blocks.filter(block => block.mode === 'skip');
    console.log(
      `README and docs/ blocks skipped:\n${skipped.map(block => `  ${block.file}:${block.line} (${block.text.split('\n')[0]}): ${block.reason}`).join('\n')}`,
    );
    expect(skipped.map(block => `${block.file} ${block.text.split(/\s/)[0]}`)).toEqual([
      'README.md npm',
      'README.md npm',
      'docs/docker.md cp',
      'docs/docker.md docker',
      'docs/docker.md docker',
      'docs/docker.md docker',
      'docs/docker.md docker',
      // A push from a URL needs an artifact server: test/e2e/push-from-url.test.ts runs that flow.
      'docs/fleet.md curl',
      'docs/testing.md npx',
      'docs/testing.md stress',
    ]);
    for (const block of skipped.filter(candidate => candidate.text.includes('docker'))) {
      expect(block.reason).toMatch(/Docker engine/);
    }
    expect(blocks.filter(block => block.mode === 'background').map(block => block.text.split(/\s+/)[0])).toEqual([
      'npm',
    ]);
    // Every block is one of those below or skipped: a new block needs a test here.
    const covered = [
      'npm start',
      '/v1/modules"',
      'head -c 4096',
      'action=$(curl',
      'MODFLEET_PASSWORD=',
      'redisearch.so',
      'modfleet db create search-db',
      'npm run --silent test-module',
      'npm link',
    ];
    const alone = ['COORDINATOR_PORT='];
    for (const block of blocks.filter(candidate => candidate.mode !== 'skip')) {
      expect(
        [...covered, ...alone].some(snippet => block.text.includes(snippet)),
        `${block.file}:${block.line} is run by no test`,
      ).toBe(true);
    }
  });

  it(
    'quick start: the admin login lists no module objects yet',
    async () => {
      expect(await runToEnd(find('/v1/modules"'), env)).toMatch(/^\[\]/);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'the RS workflow: pack, a CCS object, the artifact on each node, then both deleted',
    async () => {
      const out = await runToEnd(find('head -c 4096'), env);
      expect(out).toMatch(/"module_name":"TestModule"/);
      // The listing loop prints one line per node, each holding the artifact.
      const listings = out.split('\n').filter(line => line.startsWith('[{') && line.includes('"TestModule"'));
      expect(listings).toHaveLength(3);
      const modules = await httpsGet(`${env.MODFLEET_URL}/v1/modules`, {
        ca: await readFile(caFile(), 'utf8'),
        credentials: LOCAL_ADMIN,
      });
      expect(modules.body).toEqual([]);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'beyond RS: one push for the fleet, its action, the fleet view, sync and delete',
    async () => {
      const out = await runToEnd(find('action=$(curl'), env);
      expect(out).toMatch(/"pending_ops"/);
      expect(out).toMatch(/"action_uid"/);
      expect(out).toMatch(/"module_name":"TestModule"/);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'the CLI: pack, push, watch, nodes, check, sync, rm and the CCS objects',
    async () => {
      const out = await runToEnd(find('MODFLEET_PASSWORD='), env);
      expect(out).toMatch(/MyModule/);
      expect(existsSync(join(REPO_ROOT, 'MyModule-10203.zip'))).toBe(true);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'real modules: RediSearch packed by discovery, inspected, created from its zip and pushed',
    async () => {
      // As the README says, logged in as in its CLI section (which exports these).
      const out = await runToEnd(find('redisearch.so'), { ...env, MODFLEET_PASSWORD: LOCAL_ADMIN.password });
      expect(existsSync(join(REPO_ROOT, 'ft-10200.zip'))).toBe(true);
      expect(out).toMatch(/ft@10200/);
      expect(out).toMatch(/completed/);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'databases: one that loads RediSearch, FT.SEARCH at its endpoint with redis-cli, then removed',
    async () => {
      // Runs after the RediSearch push above, as the README's text asks.
      const out = await runToEnd(find('modfleet db create search-db'), {
        ...env,
        MODFLEET_PASSWORD: LOCAL_ADMIN.password,
      });
      console.log(`the database step printed:\n${out}`);
      expect(out).toMatch(/\n1\ndoc1\ntitle\nhello world\n/);
      expect(out).toMatch(/deleted database \d+/);
      const bdbs = await httpsGet<unknown[]>(`${env.MODFLEET_URL}/v1/bdbs`, {
        ca: await readFile(caFile(), 'utf8'),
        credentials: LOCAL_ADMIN,
      });
      expect(bdbs.body).toEqual([]);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'upgrades: mfver 1.0.0 to 1.1.0 with the pre-flight, a typo refused, a rehearsed rollback',
    async () => {
      const out = await runToEnd(find('npm run --silent test-module'), {
        ...env,
        MODFLEET_PASSWORD: LOCAL_ADMIN.password,
      });
      console.log(`the upgrade step printed:\n${out}`);
      expect(out).toMatch(/ orders +mfver test module +1\.0\.0 +LABEL blue +OK, OLD MODULE VERSION\n/);
      expect(out).toMatch(/Rollback: possible/);
      expect(out).toMatch(/completed - SMUpgradeBDB: every shard runs mfver 1\.1\.0\nDone\n/);
      expect(out).toMatch(/refused: exit 1\n/);
      expect(out).toMatch(/completed - SMUpgradeBDB: every shard runs mfver 1\.0\.0\nDone\n/);
      expect(out).toMatch(/deleted database \d+/);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'installs the CLI for use outside the clone with npm link',
    async () => {
      const out = await runToEnd(find('npm link'), {
        ...env,
        npm_config_prefix: npmPrefix,
        PATH: `${join(npmPrefix, 'bin')}:${process.env.PATH ?? ''}`,
      });
      expect(out).toMatch(/Usage: modfleet/);
    },
    BLOCK_TIMEOUT_MS,
  );

  it(
    'running services one by one: a coordinator and an agent that registers with it',
    async () => {
      const coordinatorPort = await freePort();
      const agentPort = await freePort();
      await runToEnd(find('COORDINATOR_PORT='), {
        COORDINATOR_PORT: String(coordinatorPort),
        AGENT_PORT: String(agentPort),
        MODFLEET_PREFIX: prefixes[1],
      });
      // The coordinator made the cluster CA in its data dir; the agent learnt it from Redis.
      const ca = join(REPO_ROOT, '.modfleet/solo/coordinator/tls/ca.pem');
      const nodes = await pollFor(
        async () =>
          httpsGet<{ addr: string; status: string }[]>(`https://127.0.0.1:${coordinatorPort}/v1/nodes`, {
            ca: await readFile(ca, 'utf8'),
            credentials: { email: LOCAL_ADMIN.email, password: 'change-me' },
          }),
        res => res.status === 200 && res.body.length === 1 && res.body[0]?.status === 'active',
        'the agent registered with the coordinator',
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(nodes.body[0]?.addr).toBe(`https://127.0.0.1:${agentPort}`);
    },
    BLOCK_TIMEOUT_MS,
  );
});
