/**
 * One relaying node for bench/relay-cpu-bench.ts, in its own process: the agent's relay as
 * `startAgent` wires it (TransferRegistry, the peer route behind the cluster signature, the one
 * cluster client trusting the cluster CA, HTTPS with a CA-signed certificate), nothing else, so
 * its CPU is the relay's. The parent drives it over IPC:
 *   → {type: 'fetch', request}   pulls the blob from its sources (fetchPieces) while serving it
 *   ← {type: 'fetched'} | {type: 'failed', message}
 *   → {type: 'release'}          drops the transfer and its temp file (as an install would) ← {type: 'released'}
 *   → {type: 'cpu'}  ← {type: 'cpu', ms, gcMs}   process.cpuUsage() (user + system, every thread), and GC pauses
 * It prints {type: 'listening', url} first.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createClusterHttpClient, createLogger, createMetrics, errorMiddleware, listen } from '@modfleet/common';
import express from 'express';
import type * as PieceFetcher from '../../packages/agent/src/relay/piece-fetcher.js';
import type * as PeerBlobRoutes from '../../packages/agent/src/relay/peer-blob-routes.js';
import type * as TransferRegistryModule from '../../packages/agent/src/relay/transfer-registry.js';

export type RelayNodeCommand =
  { type: 'fetch'; request: PieceFetcher.FetchRequest } | { type: 'release' } | { type: 'cpu' };
export type RelayNodeEvent =
  | { type: 'listening'; url: string }
  | { type: 'fetched' }
  | { type: 'failed'; message: string }
  | { type: 'released' }
  | { type: 'cpu'; ms: number; gcMs: number };

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/**
 * The relay's modules from RELAY_MODULES: a built dist/relay folder, or a folder of the .ts sources
 * (another commit's, run through tsx) to measure that code beside this build's in the same run.
 */
async function relayModules() {
  const dir = env('RELAY_MODULES');
  const ext = existsSync(join(dir, 'piece-fetcher.ts')) ? 'ts' : 'js';
  const load = <T>(name: string) => import(pathToFileURL(join(dir, `${name}.${ext}`)).href) as Promise<T>;
  const [{ fetchPieces }, { peerBlobRoutes }, { TransferRegistry }] = await Promise.all([
    load<typeof PieceFetcher>('piece-fetcher'),
    load<typeof PeerBlobRoutes>('peer-blob-routes'),
    load<typeof TransferRegistryModule>('transfer-registry'),
  ]);
  return { fetchPieces, peerBlobRoutes, TransferRegistry };
}

async function main(): Promise<void> {
  const { fetchPieces, peerBlobRoutes, TransferRegistry } = await relayModules();
  const clusterSecret = env('RELAY_CLUSTER_SECRET');
  const logger = createLogger({ name: 'relay-node', level: 'warn' });
  const transfers = new TransferRegistry();
  const http = createClusterHttpClient({ caPem: env('RELAY_CA_PEM') });
  const app = express();
  app.use(
    peerBlobRoutes({
      clusterSecret,
      transfers,
      blobs: { find: () => Promise.resolve(undefined), remember: async () => {}, distrust: async () => {} },
      logger,
      metrics: createMetrics('agent'),
    }),
  );
  app.use(errorMiddleware());
  const server = await listen(app, {
    host: '127.0.0.1',
    port: 0,
    tls: { certPem: env('RELAY_CERT_PEM'), keyPem: env('RELAY_KEY_PEM') },
  });
  const send = (event: RelayNodeEvent) => process.send?.(event);
  let fetched: PieceFetcher.FetchedBlob | undefined;
  let gcMs = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });

  process.on('message', (command: RelayNodeCommand) => {
    if (command.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', ms: (user + system) / 1000, gcMs });
    } else if (command.type === 'fetch') {
      fetchPieces(command.request, { clusterSecret, resolveUrl: url => url, transfers, logger, http }).then(
        blob => {
          fetched = blob;
          send({ type: 'fetched' });
        },
        (err: unknown) => send({ type: 'failed', message: (err as Error).message }),
      );
    } else {
      const blob = fetched;
      fetched = undefined;
      blob?.release();
      void (blob ? rm(blob.upload.path, { force: true }) : Promise.resolve()).then(() => send({ type: 'released' }));
    }
  });
  process.on('disconnect', () => void server.close(1_000).finally(() => process.exit(0)));
  send({ type: 'listening', url: server.url });
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
