import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRedisUserStore, redisKeys } from '@modfleet/common';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import { freePort, MODFLEET_BIN, REPO_ROOT, waitUntil } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { find, fsyncOf, fsyncRenameTraceArgs, parseTrace, STRACE } from '../helpers/strace-calls.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const ADMIN: Credentials = { email: 'admin@durable.local', password: 'durable-admin-password' };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(!STRACE)(
  'durable writes: fsync before the rename that installs, and of the folder after (strace)',
  () => {
    let prefix: string;
    let dir: string;
    let child: ChildProcess | undefined;
    beforeEach(async () => {
      prefix = uniquePrefix();
      dir = await makeTmpDir('modfleet-durable');
      const redis = new Redis(REDIS_URL);
      await createRedisUserStore(redis, redisKeys(prefix)).create({ ...ADMIN, role: 'admin', name: 'durable' });
      redis.disconnect();
    });
    afterEach(async () => {
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        // The whole group: a traced process outlives a killed strace.
        process.kill(-child.pid, 'SIGKILL');
        await once(child, 'exit');
      }
      await deletePrefix(prefix);
      await removeDir(dir);
    });

    /** `modfleet <command>` under strace; resolves once /healthz answers. */
    async function traced(command: 'agent' | 'coordinator', env: Record<string, string>) {
      const port = await freePort();
      const httpsPort = await freePort();
      const traceFile = join(dir, `${command}.trace`);
      child = spawn('strace', [...fsyncRenameTraceArgs(traceFile), process.execPath, MODFLEET_BIN, command], {
        cwd: REPO_ROOT,
        stdio: 'ignore',
        detached: true,
        env: {
          PATH: process.env.PATH,
          REDIS_URL,
          MODFLEET_PREFIX: prefix,
          MODFLEET_HTTP_PORT: String(port),
          MODFLEET_PORT: String(httpsPort),
          LOG_LEVEL: 'warn',
          ...env,
        },
      });
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(
        async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true,
        `${command} under strace healthy`,
        30_000,
      );
      return { url, trace: async () => parseTrace(await readFile(traceFile, 'utf8')) };
    }

    it('agent: the upload, its metadata and its folder are fsynced before the rename into artifacts/, which is fsynced after', async () => {
      const dataDir = join(dir, 'node');
      const agent = await traced('agent', { MODFLEET_DATA_DIR: dataDir });
      const zip = await buildArtifactZip({ manifest: { module_name: 'Durable', version: 1 } });

      const res = await api<{ sha256: string }>(`${agent.url}/v2/local/modules/user-defined/artifacts`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(res.status).toBe(200);
      expect(res.body.sha256).toBe(sha256(zip));

      const calls = await agent.trace();
      const tmp = join(dataDir, 'tmp');
      const artifacts = join(dataDir, 'artifacts');
      const uploadSynced = find(
        calls,
        -1,
        'fsync of the upload',
        fsyncOf(p => p.startsWith(`${tmp}/upload-`)),
      );
      const intoStaging = find(
        calls,
        uploadSynced,
        'rename into staging',
        c => c.kind === 'rename' && c.to.endsWith('/module.zip'),
      );
      const metaSynced = find(
        calls,
        intoStaging,
        'fsync of artifact.json',
        fsyncOf(p => p.endsWith('/artifact.json')),
      );
      const stagingSynced = find(
        calls,
        metaSynced,
        'fsync of the staging folder',
        fsyncOf(p => p.startsWith(`${tmp}/stage-`)),
      );
      const install = find(
        calls,
        stagingSynced,
        'rename into artifacts/',
        c => c.kind === 'rename' && c.to === join(artifacts, 'Durable@1'),
      );
      find(
        calls,
        install,
        'fsync of artifacts/ after the rename',
        fsyncOf(p => p === artifacts),
      );

      const deleted = await api(`${agent.url}/v2/local/modules/user-defined/artifacts/Durable/1`, {
        method: 'DELETE',
        credentials: ADMIN,
      });
      expect(deleted.status).toBe(200);
      const after = await agent.trace();
      const moved = find(
        after,
        install,
        'rename to trash',
        c => c.kind === 'rename' && c.from === join(artifacts, 'Durable@1'),
      );
      find(
        after,
        moved,
        'fsync of artifacts/ after the delete',
        fsyncOf(p => p === artifacts),
      );
    });

    it('coordinator: a pushed blob is fsynced, then renamed into blobs/, which is fsynced before the push is answered', async () => {
      const dataDir = join(dir, 'coordinator');
      const coordinator = await traced('coordinator', {
        MODFLEET_DATA_DIR: dataDir,
        MODFLEET_ADMIN_EMAIL: ADMIN.email,
        MODFLEET_ADMIN_PASSWORD: ADMIN.password,
        MODFLEET_CLUSTER_SECRET: 'durable-cluster-secret-0123456789',
      });
      const zip = await buildArtifactZip({ manifest: { module_name: 'DurableBlob', version: 1 } });

      const res = await api(`${coordinator.url}/v2/modules/user-defined/artifacts`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);

      const calls = await coordinator.trace();
      const blobs = join(dataDir, 'blobs');
      const synced = find(
        calls,
        -1,
        'fsync of the upload',
        fsyncOf(p => p.startsWith(join(dataDir, 'tmp', 'upload-'))),
      );
      const tmpSynced = find(
        calls,
        synced,
        'fsync of tmp/',
        fsyncOf(p => p === join(dataDir, 'tmp')),
      );
      const renamed = find(
        calls,
        tmpSynced,
        'rename into blobs/',
        c => c.kind === 'rename' && c.to === join(blobs, `${sha256(zip)}.zip`),
      );
      find(
        calls,
        renamed,
        'fsync of blobs/',
        fsyncOf(p => p === blobs),
      );
    });
  },
);
