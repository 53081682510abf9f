import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forwarded-headers.js';

function message(headers: IncomingMessage['headers'], socket: object = { remoteAddress: '10.0.0.7' }): IncomingMessage {
  return { headers, socket } as unknown as IncomingMessage;
}

describe('headers passed between a client and the coordinator', () => {
  it('drops hop-by-hop headers, those Connection names too, and Host; keeps the rest as sent', () => {
    const headers = upstreamRequestHeaders(
      message({
        host: 'node-2:9443',
        authorization: 'Basic abc',
        connection: 'keep-alive, X-Session',
        'x-session': 'one connection',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic proxy',
        expect: '100-continue',
        'content-type': 'multipart/form-data; boundary=x',
      }),
      'req-1',
    );
    expect(headers).toEqual({
      authorization: 'Basic abc',
      expect: '100-continue',
      'content-type': 'multipart/form-data; boundary=x',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-host': 'node-2:9443',
      'x-forwarded-proto': 'http',
      'x-request-id': 'req-1',
    });
  });

  it('appends the client to an X-Forwarded-For chain and says https for a TLS socket', () => {
    const headers = upstreamRequestHeaders(
      message({ 'x-forwarded-for': '192.0.2.1' }, { remoteAddress: '10.0.0.7', encrypted: true }),
      undefined,
    );
    expect(headers['x-forwarded-for']).toBe('192.0.2.1, 10.0.0.7');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers['x-request-id']).toBeUndefined();
  });

  it('passes the coordinator’s headers back without the hop-by-hop ones', () => {
    const headers = downstreamResponseHeaders(
      message({
        'content-type': 'application/json',
        'www-authenticate': 'Basic realm="modfleet"',
        'x-request-id': 'req-1',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
      }),
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'www-authenticate': 'Basic realm="modfleet"',
      'x-request-id': 'req-1',
    });
  });
});
