import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotAcceptableError } from '../errors.js';
import { createLogger } from '../logger.js';
import { jsonBody } from './body.js';
import { errorMiddleware, notFoundHandler } from './error-middleware.js';
import { requestLogger } from './request-logger.js';

interface Answer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

describe('errorMiddleware', () => {
  let server: Server;
  let base: string;

  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, init);
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    const app = express();
    app.use(requestLogger(createLogger({ name: 'test', level: 'silent' })));
    app.get('/refused', () => {
      throw new NotAcceptableError('invalid_module', 'module_name: must be a string');
    });
    app.get('/crash', () => {
      throw new Error('secret internal detail in /srv/modfleet/src/thing.ts:12');
    });
    app.get('/crash-async', async () => {
      await Promise.resolve();
      throw new TypeError("Cannot read properties of undefined (reading 'uid')");
    });
    app.get('/redis-down', () => {
      const err = new Error('Reached the max retries per request limit (which is 1).');
      err.name = 'MaxRetriesPerRequestError';
      throw err;
    });
    app.post('/echo', ...jsonBody('1kb'), (req, res) => {
      res.json(req.body);
    });
    app.use(notFoundHandler());
    app.use(errorMiddleware());
    server = createServer(app);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise(resolve => server?.close(resolve));
  });

  it('answers an AppError with its status and exactly {error_code, description}', async () => {
    const answer = await call('/refused');

    expect(answer.status).toBe(406);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ error_code: 'invalid_module', description: 'module_name: must be a string' });
  });

  it.each(['/crash', '/crash-async'])('answers an unexpected error in %s with 500 that reveals nothing', async path => {
    const answer = await call(path);

    expect(answer.status).toBe(500);
    expect(Object.keys(answer.body).sort()).toEqual(['description', 'error_code']);
    expect(answer.body.error_code).toBe('internal_error');
    expect(answer.body.description).not.toMatch(/secret|\/srv\/|\.ts|Cannot read|\n\s+at /);
  });

  it('quotes the request id in a 500 so the user can report it', async () => {
    const res = await fetch(`${base}/crash`, { headers: { 'x-request-id': 'req-abc-123' } });
    const body = (await res.json()) as { description: string };

    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    expect(body.description).toContain('req-abc-123');
  });

  it('answers a lost Redis with 503 redis_unavailable', async () => {
    const answer = await call('/redis-down');

    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error_code: 'redis_unavailable', description: expect.any(String) as string });
  });

  it('answers a body that is not JSON with 400 invalid_json', async () => {
    const answer = await call('/echo', {
      method: 'POST',
      body: '{"a": ',
      headers: { 'content-type': 'application/json' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error_code: 'invalid_json', description: expect.any(String) as string });
  });

  it('answers a body over the limit with 413', async () => {
    const answer = await call('/echo', {
      method: 'POST',
      body: JSON.stringify({ a: 'x'.repeat(4096) }),
      headers: { 'content-type': 'application/json' },
    });

    expect(answer.status).toBe(413);
    expect(Object.keys(answer.body).sort()).toEqual(['description', 'error_code']);
  });

  it('answers an unknown route with 404 not_found naming the method and path', async () => {
    const answer = await call('/nowhere');

    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error_code: 'not_found', description: 'No such route: GET /nowhere' });
  });
});
