import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interruptUp, upArgs, waitUntilUp } from '../helpers/modfleet-up.js';
import { freePort, killAllProcesses, runModfleet } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

// `modfleet up` tells the truth about the state it starts from: new, reused (and then whether the
// admin login it prints still works), or wiped with --fresh, which says what it removes.

describe('modfleet up: new, reused and --fresh state on one prefix', { timeout: 360_000 }, () => {
  let prefix: string;
  let dataDir: string;

  beforeAll(async () => {
    prefix = uniquePrefix('up-state');
    dataDir = await makeTmpDir('modfleet-up-state');
  });

  afterAll(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  /** One `up` run to its banner and Ctrl-C; its whole output. */
  async function upOnce(extra: string[], env: Record<string, string | undefined>): Promise<string> {
    const port = await freePort();
    const args = [...upArgs({ nodes: 1, port, dataDir, prefix, redisUrl: REDIS_URL }), ...extra];
    const up = runModfleet(args, { XDG_CONFIG_HOME: join(dataDir, 'config'), ...env }, 'up');
    await waitUntilUp(up);
    const out = up.stdout();
    await interruptUp(up);
    return out;
  }

  it('says new, then reused with a refused login named as such, then --fresh removes it and the login works', async () => {
    const first = await upOnce([], { MODFLEET_ADMIN_PASSWORD: 'first-run-password-1' });
    expect(first).toMatch(/^\s+state\s+new: Redis prefix "up-state-[^"]+" held no cluster$/m);
    expect(first).toMatch(/^\s+admin login\s+admin@modfleet\.local \/ first-run-password-1$/m);
    expect(first).toContain('Context "local" saved');

    // Restarted without the password: the earlier admin is kept, so the default login would fail.
    const second = await upOnce([], { MODFLEET_ADMIN_PASSWORD: undefined });
    expect(second).toMatch(
      /^\s+state\s+reused from an earlier run under Redis prefix "up-state-[^"]+": 1 user, 1 node/m,
    );
    expect(second).toMatch(
      /^\s+admin login\s+NOT admin@modfleet\.local \/ modfleet-local-admin: the coordinator refused it/m,
    );
    expect(second).toContain('No context saved');
    expect(second).not.toContain('using the documented local admin password');
    expect(second).not.toMatch(/cluster CA in Redis/);

    const fresh = await upOnce(['--fresh'], { MODFLEET_ADMIN_PASSWORD: undefined });
    expect(fresh).toMatch(/--fresh: removing every Redis key under prefix "up-state-[^"]+"/);
    expect(fresh).toMatch(/^\s+state\s+fresh: removed \d+ Redis keys under prefix/m);
    expect(fresh).toMatch(/^\s+admin login\s+admin@modfleet\.local \/ modfleet-local-admin$/m);
    expect(fresh).toContain('Context "local" saved');
  });
});
