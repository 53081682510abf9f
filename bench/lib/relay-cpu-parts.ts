/** The pieces of bench/relay-cpu-bench.ts: TLS material, the upstream, the relaying node, the baseline. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createClusterCa, generateKeyPem, issueServerCertificate } from '@modfleet/common';
import { REPO_ROOT } from '../../test/helpers/processes.js';
import type { RelayNodeCommand, RelayNodeEvent } from './relay-node.js';
import { trackChild } from './util.js';

export interface BenchTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A cluster CA and one certificate for 127.0.0.1 it signed: what every member presents. */
export async function benchTls(): Promise<BenchTls> {
  const ca = await createClusterCa('relay-cpu-bench CA');
  const keyPem = await generateKeyPem();
  return { caPem: ca.certPem, certPem: await issueServerCertificate(ca, keyPem, ['127.0.0.1']), keyPem };
}

/** The upstream (a coordinator's blob route, reduced to what matters): `bytes=N-` ranges of `blob` over HTTPS. */
export async function startUpstream(blob: Buffer, tls: BenchTls): Promise<{ url: string; server: Server }> {
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(blob.length - start),
      ...(start > 0 && { 'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}` }),
    });
    res.end(blob.subarray(start));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/blob`, server };
}

export interface RelayNode {
  pid: number;
  url: string;
  /** Sends a command and resolves with the next event of `answer`'s type (or rejects on 'failed'). */
  ask<T extends RelayNodeEvent['type']>(
    command: RelayNodeCommand,
    answer: T,
  ): Promise<Extract<RelayNodeEvent, { type: T }>>;
  stop(): Promise<void>;
}

/** This build's relay modules. */
export const BUILT_RELAY = join(REPO_ROOT, 'packages', 'agent', 'dist', 'relay');

/**
 * bench/lib/relay-node.ts in its own process (through tsx), running the relay modules in
 * `modulesDir` (see relay-node.ts); `profileDir`: --cpu-prof there.
 */
export async function spawnRelayNode(
  tls: BenchTls,
  clusterSecret: string,
  modulesDir: string,
  profileDir?: string,
): Promise<RelayNode> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  Object.assign(env, {
    RELAY_CA_PEM: tls.caPem,
    RELAY_CERT_PEM: tls.certPem,
    RELAY_KEY_PEM: tls.keyPem,
    RELAY_CLUSTER_SECRET: clusterSecret,
    RELAY_MODULES: modulesDir,
  });
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  // Not a trackChild: the bench's cleanup stops it by disconnecting, so it exits (and writes its profile) on its own.
  const child: ChildProcess = spawn(
    process.execPath,
    [...profile, '--import', 'tsx', join(REPO_ROOT, 'bench', 'lib', 'relay-node.ts')],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = <T extends RelayNodeEvent['type']>(type: T) =>
    new Promise<Extract<RelayNodeEvent, { type: T }>>((resolve, reject) => {
      const onMessage = (event: RelayNodeEvent) => {
        if (event.type !== type && event.type !== 'failed') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (event.type === 'failed' && type !== 'failed') reject(new Error(`relay node: ${event.message}`));
        else resolve(event as Extract<RelayNodeEvent, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`relay node exited with ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { url } = await next('listening');
  return {
    pid: child.pid!,
    url,
    ask(command, answer) {
      const answered = next(answer);
      child.send(command);
      return answered;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The floor: what a plain node process spends to sha256 the same bytes once and write them to a
 * new file with fsync (64 KiB chunks, as they would arrive), read from `source`; CPU of the work
 * only (process.cpuUsage around it, start-up excluded), in ms.
 */
export async function baselineCpuMs(source: string, target: string): Promise<number> {
  const script = `
    const { createReadStream } = require('node:fs');
    const { open } = require('node:fs/promises');
    const { createHash } = require('node:crypto');
    (async () => {
      const before = process.cpuUsage();
      const hash = createHash('sha256');
      const file = await open(${JSON.stringify(target)}, 'wx');
      let position = 0;
      for await (const chunk of createReadStream(${JSON.stringify(source)}, { highWaterMark: 64 * 1024 })) {
        hash.update(chunk);
        await file.write(chunk, 0, chunk.length, position);
        position += chunk.length;
      }
      hash.digest('hex');
      await file.sync();
      await file.close();
      const used = process.cpuUsage(before);
      process.stdout.write(String((used.user + used.system) / 1000));
    })();`;
  const child = trackChild(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`baseline exited with ${code}`);
  return Number(out);
}
