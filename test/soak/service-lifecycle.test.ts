import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRedisUserStore,
  flagSpecOf,
  isInternalVariable,
  redisKeys,
  routes,
  serviceVariables,
} from '@modfleet/common';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, basicAuth, type Credentials } from '../helpers/http.js';
import {
  freePort,
  killAllProcesses,
  portClosed,
  runToExit,
  startService,
  waitUntil,
  type Env,
  type Service,
} from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const ADMIN: Credentials = { email: 'admin@lifecycle.local', password: 'lifecycle-Secret-pw-42' };
const ARTIFACTS = routes.localArtifacts;
const MiB = 1024 * 1024;

const moduleDefinition = {
  module_name: 'Persisted',
  version: 7,
  semantic_version: '0.0.7',
  display_name: 'Persisted module',
  commands: [],
  command_line_args: '',
  capabilities: [],
  min_redis_version: '7.0',
};

/** The first admin, written straight into the CCS (what a coordinator does on first start). */
async function seedAdmin(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await createRedisUserStore(redis, redisKeys(prefix)).create({ ...ADMIN, role: 'admin', name: 'Admin' });
  } finally {
    redis.disconnect();
  }
}

interface SlowUpload {
  /** Bytes of the request body written so far. */
  sent(): number;
  /** Writes the body up to byte `until` in `chunkBytes` pieces, pausing `pauseMs` between them. */
  sendUntil(until: number, chunkBytes?: number, pauseMs?: number): Promise<void>;
  /** The answer, once the whole body is sent (rejects if the connection breaks). */
  response: Promise<{ status: number; body: string }>;
  request: ClientRequest;
}

/** A multipart artifact upload over node:http whose body the test releases piece by piece. */
function slowUpload(url: string, credentials: Credentials, zip: Buffer): SlowUpload {
  const boundary = `----modfleet-e2e-${randomUUID()}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="module"; filename="big-module.zip"\r\n` +
        `Content-Type: application/zip\r\n\r\n`,
    ),
    zip,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const req = request(url, {
    method: 'POST',
    headers: {
      authorization: basicAuth(credentials),
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(body.length),
    },
  });
  let failure: Error | undefined;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('error', err => {
      failure = err;
      reject(err);
    });
    req.once('response', res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.once('error', reject);
    });
  });
  response.catch(() => undefined); // observed by the test when it cares
  let offset = 0;
  return {
    sent: () => offset,
    async sendUntil(until, chunkBytes = 512 * 1024, pauseMs = 5) {
      while (offset < Math.min(until, body.length)) {
        if (failure) throw failure;
        const end = Math.min(offset + chunkBytes, until, body.length);
        const flushed = req.write(body.subarray(offset, end));
        offset = end;
        if (offset === body.length) req.end();
        if (!flushed) await Promise.race([once(req, 'drain'), response.then(() => undefined)]);
        if (pauseMs > 0) await sleep(pauseMs);
      }
    },
    response,
    request: req,
  };
}

describe('services as real processes: lifecycle, signals, configuration, logs', () => {
  let prefix: string;
  let dataDir: string;

  beforeEach(async () => {
    prefix = uniquePrefix();
    dataDir = await makeTmpDir('modfleet-e2e-lifecycle');
  });

  afterEach(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  const agentEnv = (extra: Env = {}): Env => ({
    REDIS_URL,
    MODFLEET_PREFIX: prefix,
    MODFLEET_DATA_DIR: join(dataDir, 'node-1'),
    MODFLEET_NODE_ID: '1',
    ...extra,
  });
  const coordinatorEnv = (extra: Env = {}): Env => ({
    REDIS_URL,
    MODFLEET_PREFIX: prefix,
    MODFLEET_DATA_DIR: join(dataDir, 'coordinator'),
    MODFLEET_ADMIN_EMAIL: ADMIN.email,
    ...extra,
  });

  describe('restart persistence', () => {
    it('keeps an uploaded artifact across an agent SIGTERM (exit 0) and restart on the same data dir', async () => {
      await seedAdmin(prefix);
      const port = await freePort();
      const zip = await buildArtifactZip();
      const agent = await startService('agent', port, agentEnv());
      const upload = await api(`${agent.url}${ARTIFACTS}`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(upload.status).toBe(200);

      expect(await agent.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(agent.stdout()).toMatch(/"msg":"agent stopped"/);

      const again = await startService('agent', port, agentEnv());
      const list = await api(`${again.url}${ARTIFACTS}`, { credentials: ADMIN });
      expect(list.body).toEqual([{ module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] }]);
      // Same bytes after the restart: still the idempotent no-op.
      const same = await api(`${again.url}${ARTIFACTS}`, {
        method: 'POST',
        credentials: ADMIN,
        form: artifactForm(zip),
      });
      expect(same.status).toBe(200);
      expect(await again.stop()).toEqual({ code: 0, signal: null });
    });

    it('keeps CCS objects and users across a coordinator restart (the restart needs no admin password)', async () => {
      const port = await freePort();
      const first = await startService(
        'coordinator',
        port,
        coordinatorEnv({ MODFLEET_ADMIN_PASSWORD: ADMIN.password }),
      );
      const created = await api<{ uid: string }>(`${first.url}/v2/modules/user-defined`, {
        method: 'POST',
        credentials: ADMIN,
        json: moduleDefinition,
      });
      expect(created.status).toBe(200);
      expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      const second = await startService('coordinator', port, coordinatorEnv());
      const fetched = await api(`${second.url}/v1/modules/${created.body.uid}`, { credentials: ADMIN });
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(created.body);
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    });
  });

  describe('SIGTERM and crashes during uploads', () => {
    it('finishes an in-flight 50 MiB upload after SIGTERM, refuses new connections, then exits 0', async () => {
      await seedAdmin(prefix);
      const port = await freePort();
      const zip = await buildArtifactZip({ manifest: { module_name: 'Big', version: 1 }, so: randomBytes(50 * MiB) });
      const agent = await startService('agent', port, agentEnv());

      const upload = slowUpload(`${agent.url}${ARTIFACTS}`, ADMIN, zip);
      await upload.sendUntil(8 * MiB);
      // The server has the request (its temp file exists) before the signal.
      const tmp = join(dataDir, 'node-1', 'tmp');
      await waitUntil(async () => (await readdir(tmp)).some(f => f.startsWith('upload-')), 'upload temp file');

      agent.child.kill('SIGTERM');
      await agent.waitForOutput(/"msg":"agent stopping"/);
      expect(await portClosed(port), 'new connections are refused after SIGTERM').toBe(true);
      expect(agent.isRunning(), 'the agent waits for the in-flight upload').toBe(true);

      await upload.sendUntil(Number.POSITIVE_INFINITY);
      const answer = await upload.response;
      expect(answer.status, answer.body).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ module_name: 'Big', version: 1, size: zip.length });

      // Nothing is left to do once the last in-flight request is answered: the process exits right
      // away, even though this client (like fetch and node's global agent) keeps its connection alive.
      const exit = await Promise.race([agent.exited, sleep(3_000).then(() => 'still running 3 s later' as const)]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(await agent.exited).toEqual({ code: 0, signal: null });

      // The upload that finished during shutdown is installed for good.
      const restarted = await startService('agent', port, agentEnv());
      const list = await api<{ module_name: string }[]>(`${restarted.url}${ARTIFACTS}`, { credentials: ADMIN });
      expect(list.body.map(a => a.module_name)).toEqual(['Big']);
    });

    it('removes leftovers of a crash at start: temp uploads and incomplete artifact folders are never listed', async () => {
      await seedAdmin(prefix);
      const node = join(dataDir, 'node-1');
      await mkdir(join(node, 'tmp', 'stage-abc'), { recursive: true });
      await writeFile(join(node, 'tmp', 'upload-xyz'), randomBytes(1024));
      await writeFile(join(node, 'tmp', 'stage-abc', 'module.zip'), randomBytes(1024));
      await mkdir(join(node, 'artifacts', 'Half@1'), { recursive: true });
      await writeFile(join(node, 'artifacts', 'Half@1', 'module.zip'), randomBytes(1024));

      const agent = await startService('agent', await freePort(), agentEnv());
      expect(await readdir(join(node, 'tmp'))).toEqual([]);
      expect((await api(`${agent.url}${ARTIFACTS}`, { credentials: ADMIN })).body).toEqual([]);
    });

    it('after a SIGKILL mid-upload, the restarted agent lists nothing and its tmp dir is empty', async () => {
      await seedAdmin(prefix);
      const port = await freePort();
      const zip = await buildArtifactZip({ manifest: { module_name: 'Cut', version: 1 }, so: randomBytes(8 * MiB) });
      const agent = await startService('agent', port, agentEnv());
      const tmp = join(dataDir, 'node-1', 'tmp');

      const upload = slowUpload(`${agent.url}${ARTIFACTS}`, ADMIN, zip);
      await upload.sendUntil(4 * MiB);
      await waitUntil(async () => {
        const files = (await readdir(tmp)).filter(f => f.startsWith('upload-'));
        return files.length > 0 && (await stat(join(tmp, files[0]!))).size > 0;
      }, 'a partly written temp upload');

      expect(await agent.kill()).toEqual({ code: null, signal: 'SIGKILL' });
      await expect(upload.response).rejects.toThrow();
      expect(
        (await readdir(tmp)).some(f => f.startsWith('upload-')),
        'the crash left its temp file',
      ).toBe(true);

      const restarted = await startService('agent', port, agentEnv());
      expect((await api(`${restarted.url}${ARTIFACTS}`, { credentials: ADMIN })).body).toEqual([]);
      expect(await readdir(tmp)).toEqual([]);
      expect(await readdir(join(dataDir, 'node-1', 'artifacts'))).toEqual([]);
    });
  });

  describe('bad configuration', () => {
    it('names every bad variable in one message on stderr and exits non-zero', async () => {
      const result = await runToExit(['agent'], {
        ...agentEnv(),
        MODFLEET_PORT: 'abc',
        REDIS_URL: 'http://x',
        MODFLEET_MAX_ARTIFACT_BYTES: '-1',
      });
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      for (const name of ['MODFLEET_PORT', 'REDIS_URL', 'MODFLEET_MAX_ARTIFACT_BYTES']) {
        expect(result.stderr).toContain(name);
      }
      // one message: a single "modfleet:" headline, no stack trace, nothing on stdout
      expect(result.stderr.match(/modfleet:/g)).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stdout).toBe('');
    });

    it('names the flag of a bad value given as a flag, exits 2 and never echoes a secret flag', async () => {
      const result = await runToExit(['agent', '--port', 'abc', '--cluster-secret', 'short-secret-1'], agentEnv());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--port / MODFLEET_PORT: must be a port number (got "abc", from --port)');
      expect(result.stderr).toContain('--cluster-secret / MODFLEET_CLUSTER_SECRET: ');
      expect(result.stderr).toContain('(value hidden, from --cluster-secret)');
      expect(result.stderr).not.toContain('short-secret-1');
      expect(result.stdout).toBe('');
    });

    it('refuses to start a coordinator on an empty CCS without MODFLEET_ADMIN_PASSWORD', async () => {
      const port = await freePort();
      const result = await runToExit(['coordinator'], { ...coordinatorEnv(), MODFLEET_PORT: String(port) });
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toContain('MODFLEET_ADMIN_PASSWORD');
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(await portClosed(port)).toBe(true);
    });

    it.each(['agent', 'coordinator'] as const)(
      'says "Cannot reach Redis" and exits non-zero, without a stack trace (%s)',
      async command => {
        const env = command === 'agent' ? agentEnv() : coordinatorEnv({ MODFLEET_ADMIN_PASSWORD: ADMIN.password });
        const result = await runToExit([command], {
          ...env,
          REDIS_URL: 'redis://127.0.0.1:1',
          MODFLEET_PORT: String(await freePort()),
        });
        expect(result.code).not.toBe(0);
        expect(result.code).not.toBeNull();
        expect(result.stderr).toMatch(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
        expect(result.stderr).not.toMatch(/^\s+at /m);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        // stdout carries only JSON log lines, never a raw trace
        for (const line of result.stdout.split('\n').filter(Boolean))
          expect(() => JSON.parse(line) as unknown).not.toThrow();
      },
    );
  });

  describe('logs', () => {
    it('writes one pino JSON line per request with its id, and never the credentials', async () => {
      const coordinator = await startService(
        'coordinator',
        await freePort(),
        coordinatorEnv({ MODFLEET_ADMIN_PASSWORD: ADMIN.password }),
      );
      const agent = await startService('agent', await freePort(), agentEnv());
      const newUser: Credentials = { email: 'logged@lifecycle.local', password: 'Another-secret-pw-77' };

      const responses = [
        await api(`${coordinator.url}/v1/users`, {
          method: 'POST',
          credentials: ADMIN,
          json: { ...newUser, role: 'admin' },
        }),
        await api(`${coordinator.url}/v1/modules`, { credentials: newUser }),
        await api(`${agent.url}${ARTIFACTS}`, { credentials: ADMIN }),
        await api(`${agent.url}${ARTIFACTS}`, {
          method: 'POST',
          credentials: newUser,
          form: artifactForm(await buildArtifactZip()),
        }),
        await api(`${agent.url}${ARTIFACTS}`, { credentials: { ...ADMIN, password: 'wrong-password-1' } }),
        await api(`${agent.url}${ARTIFACTS}`, {
          credentials: ADMIN,
          headers: { 'x-request-id': 'client-chosen-id-1' },
        }),
      ];
      expect(responses.map(r => r.status)).toEqual([200, 200, 200, 200, 401, 200]);
      const ids = responses.map(r => r.headers.get('x-request-id'));
      expect(ids[5]).toBe('client-chosen-id-1');
      for (const id of ids) expect(id).toMatch(/^[\w.-]{1,128}$/);

      const byService = [coordinator, coordinator, agent, agent, agent, agent];
      const requestLines = (service: Service, id: string) =>
        service
          .logRecords()
          .filter(record => (record.req as { id?: unknown } | undefined)?.id === id && record.res !== undefined);
      await waitUntil(
        () => ids.every((id, index) => requestLines(byService[index]!, id!).length > 0),
        'a log line for every request',
      );
      ids.forEach((id, index) => {
        const lines = requestLines(byService[index]!, id!);
        expect(lines, `log lines for request ${id}`).toHaveLength(1);
        expect(lines[0]).toMatchObject({ level: expect.any(Number) as number, time: expect.any(Number) as number });
        expect(lines[0]!.res).toMatchObject({ statusCode: responses[index]!.status });
      });

      // Every stdout line is JSON (pino); stop both so shutdown lines are in the capture too.
      expect(await agent.stop()).toEqual({ code: 0, signal: null });
      expect(await coordinator.stop()).toEqual({ code: 0, signal: null });
      for (const service of [coordinator, agent]) {
        for (const line of service.stdout().split('\n').filter(Boolean)) {
          expect(() => JSON.parse(line) as unknown, line).not.toThrow();
        }
        const output = service.output();
        for (const secret of [
          ADMIN.password,
          newUser.password,
          'wrong-password-1',
          basicAuth(ADMIN).slice('Basic '.length),
          basicAuth(newUser).slice('Basic '.length),
          basicAuth({ ...ADMIN, password: 'wrong-password-1' }).slice('Basic '.length),
        ]) {
          expect(output.includes(secret), `${service.name} output contains a secret`).toBe(false);
        }
      }
    });
  });

  describe('--help', () => {
    it('lists the commands up, coordinator and agent', async () => {
      const result = await runToExit(['--help']);
      expect(result.code).toBe(0);
      for (const command of ['up', 'coordinator', 'agent'])
        expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    });

    it.each(['agent', 'coordinator'] as const)(
      'lists the flag and the variable of everything `%s` reads in its --help (internal ones aside), and nothing else',
      async command => {
        const help = await runToExit([command, '--help']);
        expect(help.code).toBe(0);
        const documented = serviceVariables(command).filter(name => !isInternalVariable(name));
        for (const name of documented) {
          expect(help.stdout, name).toMatch(new RegExp(`^\\s+${flagSpecOf(name)}\\s[^]*?\\[\\$${name}\\]`, 'm'));
        }
        const listed = [...help.stdout.matchAll(/\[\$([A-Z_]+)\]/g)].map(match => match[1]);
        expect(listed).toEqual(documented);
      },
    );
  });
});
