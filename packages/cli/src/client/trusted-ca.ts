import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where `modfleet up` (default data dir) keeps its cluster CA, relative to where it was run. */
export const LOCAL_CA_FILE = join('.modfleet', 'tls', 'ca.pem');

/**
 * The CA certificate the client trusts beside Node's own: --cacert / MODFLEET_CA, or else the
 * local cluster's when `modfleet up` was run from here, so its https URLs verify without -k.
 */
export async function trustedCa(cacert: string | undefined): Promise<string | undefined> {
  if (cacert) {
    return readFile(cacert, 'utf8').catch((err: Error) => {
      throw new Error(`cannot read --cacert ${cacert}: ${err.message}`);
    });
  }
  return readFile(LOCAL_CA_FILE, 'utf8').catch(() => undefined);
}
