import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: these describe one connection, not the message, so a proxy never passes them on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map(token => token.trim().toLowerCase())
    .filter(Boolean);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * What the coordinator receives: the client's headers as given (Authorization included, so the
 * coordinator authenticates the caller) minus hop-by-hop ones and Host, plus who asked and the
 * request id this node logged the request under.
 */
export function upstreamRequestHeaders(req: IncomingMessage, requestId: string | undefined): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  delete headers.host;
  const client = req.socket.remoteAddress;
  const earlier = req.headers['x-forwarded-for'];
  if (client) headers['x-forwarded-for'] = earlier ? `${String(earlier)}, ${client}` : client;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (requestId) headers['x-request-id'] = requestId;
  return headers;
}

/** What the client receives: the coordinator's headers minus hop-by-hop ones (this node frames the body itself). */
export function downstreamResponseHeaders(res: IncomingMessage): OutgoingHttpHeaders {
  return withoutHopByHop(res.headers);
}
