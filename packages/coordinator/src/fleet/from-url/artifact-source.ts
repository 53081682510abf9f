import { BlockList, isIP } from 'node:net';
import { ForbiddenError } from '@modfleet/common';
import { z } from 'zod';

/** RFC 9110 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers that describe the connection or the message framing: undici sets them, a caller may not. */
const FRAMING_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
const MAX_HEADERS = 32;

/** The JSON body of a push from a URL. Header values are credentials: no message here ever quotes one. */
export const pushFromUrlBodySchema = z
  .object({
    url: z
      .string()
      .max(8192, { error: 'must be at most 8192 characters' })
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hexadecimal digits' })
      .transform(hex => hex.toLowerCase())
      .optional(),
    headers: z
      .record(
        z
          .string()
          .regex(HEADER_NAME, { error: 'must be a header name' })
          .refine(name => !FRAMING_HEADERS.has(name.toLowerCase()), { error: 'is set by the coordinator itself' }),
        z
          .string({ error: 'must be a string' })
          .max(8192, { error: 'must be at most 8192 characters' })
          .regex(/^[^\r\n\0]*$/, { error: 'must be one line' }),
      )
      .refine(headers => Object.keys(headers).length <= MAX_HEADERS, { error: `at most ${MAX_HEADERS} headers` })
      .optional(),
    /** As the multipart field: `1,3`; absent means every node. */
    nodes: z.string().optional(),
  })
  .strict();

export type PushFromUrlBody = z.infer<typeof pushFromUrlBodySchema>;

/** The URL as it may be shown (action, audit log, errors, logs): no `user:pass@`, no query, no fragment. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * The request the coordinator sends: `user:pass@` in the URL becomes Basic credentials (unless the
 * caller gave its own Authorization header) and leaves the URL.
 */
export function artifactRequest(body: PushFromUrlBody): { url: URL; headers: Record<string, string> } {
  const url = new URL(body.url);
  const headers = { ...body.headers };
  if (url.username || url.password) {
    const hasAuthorization = Object.keys(headers).some(name => name.toLowerCase() === 'authorization');
    if (!hasAuthorization) {
      const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
  }
  return { url, headers };
}

/** Link-local addresses: where clouds serve instance metadata and its credentials (169.254.169.254). */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

export function isLinkLocal(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return LINK_LOCAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export const linkLocalRefusal = (url: URL) =>
  new ForbiddenError(
    'artifact_url_not_allowed',
    `${displayUrl(url)} is a link-local address (169.254.0.0/16, fe80::/10): the coordinator never fetches from one`,
  );

/** Whether `url` lies under one of `allow` (same origin, path below the prefix's path). */
function allowedBy(url: URL, allow: readonly string[]): boolean {
  return allow.some(prefix => {
    const base = new URL(prefix);
    return base.origin === url.origin && url.pathname.startsWith(base.pathname);
  });
}

/**
 * Refuses a URL the coordinator must not fetch: outside `MODFLEET_PUSH_URL_ALLOW` (when set), or a
 * link-local address written as such. Host names are checked once resolved (see `fetch-artifact.ts`).
 * Run for the first URL and for every redirect.
 */
export function checkArtifactUrl(url: URL, allow: readonly string[] | undefined): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ForbiddenError(
      'artifact_url_not_allowed',
      `${url.protocol} URLs are not fetched: only http:// and https://`,
    );
  }
  if (isLinkLocal(url.hostname.replace(/^\[|\]$/g, ''))) throw linkLocalRefusal(url);
  if (allow && !allowedBy(url, allow)) {
    throw new ForbiddenError(
      'artifact_url_not_allowed',
      `${displayUrl(url)} is not under any prefix of MODFLEET_PUSH_URL_ALLOW`,
    );
  }
}
