import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { listen, type RunningServer } from '@modfleet/common';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const LIMITS = { headersTimeoutMs: 1_000, bodyWindowMs: 500, bodyMinBytes: 1_024 };

/** Opens a raw connection and resolves when the server closes it, with what it answered. */
function held(url: string, send: (socket: Socket) => void): Promise<{ answer: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise(resolve => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => send(socket));
    socket.on('data', chunk => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
  });
}

describe('every server cuts connections that hold it without sending', () => {
  let server: RunningServer;
  beforeAll(async () => {
    const app = express();
    app.post('/upload', (req, res) => {
      req.resume();
      req.on('end', () => res.json({ ok: true }));
    });
    app.post('/socket-listeners', (req, res) => {
      req.resume();
      req.on('end', () => res.json({ close: req.socket.listenerCount('close') }));
    });
    server = await listen(app, { host: '127.0.0.1', port: 0, limits: LIMITS });
  });
  afterAll(() => server?.close(1_000));

  it('closes a connection whose headers never end (slowloris) with 408', async () => {
    const { answer, closedAfterMs } = await held(server.url, socket => {
      socket.write('POST /upload HTTP/1.1\r\nhost: x\r\n');
      const drip = setInterval(() => socket.writable && socket.write('x-drip: 1\r\n'), 200);
      socket.once('close', () => clearInterval(drip));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(4_000);
  });

  it('cuts a body that trickles in below the minimum rate', async () => {
    const { answer, closedAfterMs } = await held(server.url, socket => {
      socket.write('POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n');
      const drip = setInterval(() => socket.writable && socket.write('x'), 100);
      socket.once('close', () => clearInterval(drip));
    });
    expect(answer).toBe('');
    expect(closedAfterMs).toBeLessThan(3_000);
  });

  it('lets a body that keeps coming finish, however long it takes overall', async () => {
    const total = 40 * 1024;
    const { answer } = await held(server.url, socket => {
      socket.write(`POST /upload HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: ${total}\r\n\r\n`);
      let sent = 0;
      const pump = setInterval(() => {
        socket.write(Buffer.alloc(2_048, 1));
        sent += 2_048;
        if (sent >= total) clearInterval(pump);
      }, 50); // 40 KiB/s over about a second: several windows, each well above the minimum
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });

  it('keeps a kept-alive connection free of one close listener per request with a body', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${server.url}/socket-listeners`, { method: 'POST', agent }, res => {
          let body = '';
          res.on('data', chunk => (body += String(chunk)));
          res.on('end', () => resolve((JSON.parse(body) as { close: number }).close));
        });
        req.on('error', reject);
        req.end('{"some":"body"}');
      });
    try {
      const counts: number[] = [];
      for (let i = 0; i < 20; i += 1) counts.push(await post());
      expect(Math.max(...counts)).toBe(counts[0]);
    } finally {
      agent.destroy();
    }
  });
});
