import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * Three projects: `unit` (packages' own tests: no Redis, no processes, fakes where a store is
 * needed), `integration` (one service in process against the real Redis), `e2e` (real processes,
 * a browser). `npm test` runs all three; `npm run test:unit` alone runs in seconds.
 */
export default defineConfig({
  resolve: {
    alias: {
      '@modfleet/common': src('common'),
      '@modfleet/coordinator': src('coordinator'),
      '@modfleet/agent': src('agent'),
    },
  },
  test: {
    globals: false,
    // `modfleet login` and `up` save contexts: never in the developer's own ~/.config
    env: { XDG_CONFIG_HOME: join(tmpdir(), `modfleet-test-config-${process.pid}`) },
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
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
