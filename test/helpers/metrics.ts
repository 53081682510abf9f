import { routes } from '@modfleet/common';

/**
 * Bytes of artifacts a service has streamed to nodes so far, from its own /metrics counter
 * (open without credentials on loopback); throws when the counter is missing.
 */
export async function artifactBytesServed(serviceUrl: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}${routes.metrics}`)).text();
  const match = /^modfleet_artifact_bytes_served_total(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!match) throw new Error(`no bytes-served counter at ${serviceUrl}${routes.metrics}`);
  return Number(match[1]);
}
