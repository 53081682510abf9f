import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisKeys } from '@modfleet/common';
import { Redis } from 'ioredis';
import { REDIS_URL } from './redis.js';

/** An HTTP proxy in front of one agent's peer route: it can slow the bytes down or flip one of them, as a bad link would. */
export interface RelayProxy {
  readonly url: string;
  /** Flips the byte at this offset of the artifact the next time it passes (once). */
  corruptOnce(offset: number): void;
  close(): Promise<void>;
}

const SLICE = 16 * 1024;

function bodyStart(res: IncomingMessage): number {
  const match = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
  return match ? Number(match[1]) : 0;
}

export async function startRelayProxy(target: string, options: { bytesPerSecond?: number } = {}): Promise<RelayProxy> {
  let corruptAt: number | undefined;
  async function pass(up: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(up.statusCode ?? 502, up.headers);
    let offset = bodyStart(up);
    up.on('error', () => res.destroy());
    up.on('aborted', () => res.destroy());
    try {
      for await (const chunk of up) {
        const data = Buffer.from(chunk as Buffer);
        for (let at = 0; at < data.length; at += SLICE) {
          const slice = data.subarray(at, at + SLICE);
          if (corruptAt !== undefined && corruptAt >= offset && corruptAt < offset + slice.length) {
            slice.writeUInt8(slice.readUInt8(corruptAt - offset) ^ 0xff, corruptAt - offset);
            corruptAt = undefined;
          }
          offset += slice.length;
          if (!res.write(slice)) await new Promise(resolve => res.once('drain', resolve));
          if (options.bytesPerSecond) await sleep((slice.length / options.bytesPerSecond) * 1000);
        }
      }
      // An upstream that died mid-body can end the iteration without an error.
      if (up.complete) res.end();
      else res.destroy();
    } catch {
      res.destroy();
    }
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    const upstream = request(url, { method: req.method, headers: req.headers }, up => void pass(up, res));
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    corruptOnce(offset) {
      corruptAt = offset;
    },
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Makes the coordinator plan peers' fetches from `node` through `url` (the node's registered address). */
export async function advertiseNodeAt(prefix: string, node: number, url: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const key = redisKeys(prefix).nodes;
    const record = JSON.parse((await redis.hget(key, String(node))) ?? 'null') as { addr: string } | null;
    if (!record) throw new Error(`node ${node} is not registered`);
    await redis.hset(key, String(node), JSON.stringify({ ...record, addr: url }));
  } finally {
    redis.disconnect();
  }
}
