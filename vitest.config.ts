import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * Two tiers. `npm test` (what a contributor runs, about 5 minutes on 2 cores): `unit` (packages'
 * own tests and test/unit: no Redis, no processes), `routes` (each service's real HTTP app in
 * process over the fake stores), `integration` (one service in process against the real Redis) and
 * `e2e` (a thin smoke of real processes). `npm run test:soak`: `soak`, the heavy real-process work
 * (large pushes, memory ceilings, Sentinel/Cluster failovers, chaos load, simulate, the README).
 * docs/testing.md says where a new test goes.
 */
export default defineConfig({
  resolve: {
    // Exact names: `@modfleet/common/contract`, `/env`, `/poll` and each package's `/testing` are entries of
    // their own, not paths under the index.
    alias: [
      { find: /^@modfleet\/common$/, replacement: src('common') },
      {
        find: /^@modfleet\/common\/contract$/,
        replacement: fileURLToPath(new URL('./packages/common/src/contract/index.ts', import.meta.url)),
      },
      {
        find: /^@modfleet\/common\/env$/,
        replacement: fileURLToPath(new URL('./packages/common/src/config/env-entry.ts', import.meta.url)),
      },
      {
        find: /^@modfleet\/common\/poll$/,
        replacement: fileURLToPath(new URL('./packages/common/src/poll/index.ts', import.meta.url)),
      },
      ...['common', 'coordinator', 'agent'].map(pkg => ({
        find: new RegExp(`^@modfleet/${pkg}/testing$`),
        replacement: fileURLToPath(new URL(`./packages/${pkg}/src/testing.ts`, import.meta.url)),
      })),
      { find: /^@modfleet\/coordinator$/, replacement: src('coordinator') },
      { find: /^@modfleet\/agent$/, replacement: src('agent') },
    ],
  },
  test: {
    globals: false,
    // `modfleet login` and `up` save contexts: never in the developer's own ~/.config
    env: { XDG_CONFIG_HOME: join(tmpdir(), `modfleet-test-config-${process.pid}`) },
    // Vitest's default is one worker fewer than the cores: one on a 2-core machine, every file in
    // turn. unit, routes and integration mostly wait on Redis, HTTP and timers, so two files at once
    // nearly halve their time there. The e2e smoke keeps one file at a time; soak runs two (below).
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // Unit tests share nothing global but the module cache, so one file's imports serve the next.
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'test/unit/**/*.test.ts', 'eslint-rules/**/*.test.js'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'routes',
          include: ['test/routes/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'soak',
          include: ['test/soak/**/*.test.ts'],
          // Two files at once: most soak time is waiting (failovers, restarts, throttled links,
          // TTLs), and every file has its own ports, data dirs and Redis key prefix.
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
