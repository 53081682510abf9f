import type { IncomingHttpHeaders } from 'node:http';
import type { RsErrorBody } from '@modfleet/common';
import { expect } from 'vitest';

/** What a test read back: fetch's `Headers` or node:http's header object. */
export interface ErrorResponse {
  status: number;
  headers: Headers | IncomingHttpHeaders;
  body: unknown;
}

/** Stack frames, source locations and file-system paths: none of it belongs in an error a client reads. */
const INTERNALS = /\n\s+at |node_modules|\.[jt]s:\d+|\/work\/|\/tmp\/|[A-Z]:\\/;

function contentType(headers: ErrorResponse['headers']): string | undefined {
  if (headers instanceof Headers) return headers.get('content-type') ?? undefined;
  return headers['content-type'];
}

/**
 * An RS error: the status, a JSON body of exactly `{error_code, description}`, a snake_case
 * code (the given one, when given), a non-empty description that shows nothing of the server's internals.
 */
export function expectRsError(res: ErrorResponse, status: number, errorCode?: string): RsErrorBody {
  expect(res.status).toBe(status);
  expect(contentType(res.headers)).toMatch(/^application\/json/);
  const body = res.body as RsErrorBody;
  expect(Object.keys(body).sort()).toEqual(['description', 'error_code']);
  expect(body.error_code).toMatch(/^[a-z][a-z0-9_]*$/);
  if (errorCode) expect(body.error_code).toBe(errorCode);
  expect(typeof body.description).toBe('string');
  expect(body.description).toMatch(/\S/);
  expect(body.description).not.toMatch(INTERNALS);
  return body;
}
