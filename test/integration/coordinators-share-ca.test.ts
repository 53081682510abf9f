import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, routes } from '@modfleet/common';
import { startCoordinator, type RunningCoordinator } from '@modfleet/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { coordinatorConfig } from '../helpers/in-process-cluster.js';
import { deletePrefix, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';
import { waitVerifiedHttps } from '../helpers/tls.js';

const silent = () => createLogger({ name: 'coordinator', level: 'silent' });

describe('coordinators of one cluster with their own data dirs', () => {
  const started: RunningCoordinator[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  /** A fresh prefix and folder; `config(name)` is a coordinator with its own data dir `name` in it. */
  async function onePrefix() {
    const prefix = uniquePrefix();
    const dir = await makeTmpDir();
    cleanups.push(
      () => removeDir(dir),
      async () => {
        await deletePrefix(prefix);
      },
    );
    const config = (name: string) => coordinatorConfig(prefix, dir, { dataDir: join(dir, name), httpPort: undefined });
    return { dir, config };
  }

  afterEach(async () => {
    for (const coordinator of started.splice(0)) await coordinator.stop(1_000);
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('sign with one cluster CA: the second adopts the first one’s, so agents trust both', async () => {
    const { dir, config } = await onePrefix();

    const first = await startCoordinator(config('a'), silent());
    started.push(first);
    const second = await startCoordinator(config('b'), silent());
    started.push(second);

    const caOfFirst = await readFile(join(dir, 'a', 'tls', 'ca.pem'), 'utf8');
    expect(await readFile(join(dir, 'b', 'tls', 'ca.pem'), 'utf8')).toBe(caOfFirst);
    await waitVerifiedHttps(`${first.url}${routes.healthz}`, caOfFirst);
    await waitVerifiedHttps(`${second.url}${routes.healthz}`, caOfFirst);
  });

  it('started at the same moment, still end up with one CA', async () => {
    const { dir, config } = await onePrefix();

    started.push(
      ...(await Promise.all([startCoordinator(config('a'), silent()), startCoordinator(config('b'), silent())])),
    );

    const [caA, caB] = await Promise.all(['a', 'b'].map(name => readFile(join(dir, name, 'tls', 'ca.pem'), 'utf8')));
    expect(caB).toBe(caA);
    for (const coordinator of started) await waitVerifiedHttps(`${coordinator.url}${routes.healthz}`, caA!);
  });
});
