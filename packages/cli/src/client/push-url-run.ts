import { routes, type ActionAccepted } from '@modfleet/common/contract';
import { UsageError, type ClientContext } from './client-context.js';

/** How long the CLI waits for the coordinator, which answers once it has fetched the whole artifact. */
const URL_PUSH_TIMEOUT_MS = 30 * 60_000;

/** `['Authorization: Bearer x']` → `{Authorization: 'Bearer x'}`; an error names the header's place, never its value. */
export function headersOf(given: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, header] of given.entries()) {
    const colon = header.indexOf(':');
    const name = colon > 0 ? header.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(
        'usage',
        `--header number ${index + 1} must be 'Name: value', e.g. 'Authorization: Bearer <token>'`,
      );
    }
    headers[name] = header.slice(colon + 1).trim();
  }
  return headers;
}

/** The URL as shown: no `user:pass@`, query or fragment (they may hold credentials). */
function shownUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('usage', '--from-url must be an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('usage', '--from-url must be an http:// or https:// URL');
  }
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** `{url, sha256?, headers?, nodes?}` to the coordinator, which fetches the artifact itself; its action uid. */
export async function pushFromUrl(
  ctx: ClientContext,
  url: string,
  flags: { nodes?: string; sha256?: string; header?: string[] },
): Promise<string> {
  const headers = flags.header && headersOf(flags.header);
  ctx.io.stderr.write(
    `Pushing ${shownUrl(url)} to ${flags.nodes ? `nodes ${flags.nodes}` : 'every node'} via ${ctx.client.baseUrl} (the coordinator fetches it)\n`,
  );
  const body = {
    url,
    ...(flags.sha256 && { sha256: flags.sha256 }),
    ...(headers && { headers }),
    ...(flags.nodes && { nodes: flags.nodes }),
  };
  const { action_uid } = await ctx.client.post<ActionAccepted>(routes.fleetArtifacts, body, {
    timeoutMs: URL_PUSH_TIMEOUT_MS,
  });
  return action_uid;
}
