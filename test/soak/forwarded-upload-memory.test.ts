import { readFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { PassThrough, pipeline, Readable } from 'node:stream';
import { routes } from '@modfleet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { validManifest } from '../helpers/artifact-zip.js';
import { basicAuth, type Credentials } from '../helpers/http.js';
import { freePort, killAllProcesses, startService, type Service } from '../helpers/processes.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { expectRsError } from '../helpers/rs-error.js';
import { makeTmpDir, removeDir } from '../helpers/tmp-dir.js';

const ADMIN: Credentials = { email: 'admin@e2e.local', password: 'e2e-admin-password' };
const MiB = 1024 * 1024;
const SO_BYTES = 256 * MiB;
const BOUNDARY = 'modfleet-forwarded-upload';

/** Peak resident memory of a process so far (Linux: VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** `bytes` made on the fly, 1 MiB at a time: the test process never holds the artifact either. */
function generated(bytes: number): Readable {
  const chunk = Buffer.alloc(MiB, 0x5a);
  let left = bytes;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const size = Math.min(left, chunk.length);
      left -= size;
      this.push(size === chunk.length ? chunk : chunk.subarray(0, size));
    },
  });
}

/** A multipart fleet push whose `module` part is a valid artifact zip holding a `soBytes` .so, streamed. */
function streamedPush(soBytes: number, nodes: string): Readable {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify(validManifest({ module_name: 'Huge', version: 1 }))), 'module.json');
  zip.addReadStream(generated(soBytes), 'huge.so', { compress: false });
  zip.end();
  const body = new PassThrough();
  body.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="nodes"\r\n\r\n${nodes}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="module"; filename="huge.zip"\r\n` +
      'Content-Type: application/zip\r\n\r\n',
  );
  zip.outputStream.pipe(body, { end: false });
  zip.outputStream.on('end', () => body.end(`\r\n--${BOUNDARY}--\r\n`));
  return body;
}

/** POSTs the stream with `Expect: 100-continue` (as curl does for big bodies) and reads the JSON answer. */
function post(url: string, body: Readable): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: basicAuth(ADMIN),
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          expect: '100-continue',
        },
      },
      res => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as unknown }),
        );
      },
    );
    req.on('error', reject);
    req.on('continue', () => pipeline(body, req, err => err && reject(err)));
    req.flushHeaders();
  });
}

describe('a 256 MiB fleet push sent to a node instead of the coordinator', () => {
  let prefix: string;
  let dataDir: string;
  let agent: Service;

  beforeAll(async () => {
    prefix = uniquePrefix();
    dataDir = await makeTmpDir('modfleet-e2e-forward-memory');
    const shared = { REDIS_URL, MODFLEET_PREFIX: prefix, MODFLEET_CLUSTER_SECRET: 'e2e-cluster-secret-0123456789' };
    const coordinator = await startService('coordinator', await freePort(), {
      ...shared,
      MODFLEET_DATA_DIR: join(dataDir, 'coordinator'),
      MODFLEET_ADMIN_EMAIL: ADMIN.email,
      MODFLEET_ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: 'warn',
    });
    agent = await startService('agent', await freePort(), {
      ...shared,
      MODFLEET_DATA_DIR: join(dataDir, 'node-1'),
      MODFLEET_NODE_ID: '1',
      MODFLEET_COORDINATOR_URL: coordinator.url,
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    await killAllProcesses();
    await deletePrefix(prefix);
    await removeDir(dataDir);
  });

  it("streams through the agent: the coordinator reads the whole artifact and the agent's memory stays flat", async () => {
    const url = `${agent.url}${routes.fleetArtifacts}`;
    // Warm up with a 64 MiB push first: modules loaded, pools created, and the heap and malloc
    // arenas grown to what streaming needs, so the baseline holds all that and only buffering shows.
    expectRsError(await post(url, streamedPush(SO_BYTES / 4, '999')), 406, 'invalid_nodes');
    const before = await peakRss(agent.pid);

    // Node 999 does not exist: the coordinator answers so only after it stored and inspected the
    // whole zip (module.json sits in the central directory at its very end), and nothing is installed.
    const answer = await post(url, streamedPush(SO_BYTES, '999'));
    const body = expectRsError(answer, 406, 'invalid_nodes');
    expect(body.description).toMatch(/999/);

    const growth = (await peakRss(agent.pid)) - before;
    console.log(`agent peak RSS grew by ${(growth / MiB).toFixed(1)} MiB for a ${SO_BYTES / MiB} MiB upload`);
    expect(growth).toBeLessThan(SO_BYTES / 4);
  }, 240_000);
});
