import { routes, type BdbObject } from '@modfleet/common/contract';
import type { ApiClient } from './api-client.js';
import { UsageError } from './client-context.js';

/** A uid, or a name that exactly one database has. */
export async function resolveUid(client: ApiClient, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return Number(ref);
  const named = (await client.get<BdbObject[]>(routes.bdbs)).filter(bdb => bdb.name === ref);
  if (named.length === 1) return named[0]!.uid;
  throw new UsageError(
    named.length === 0 ? 'db_not_exist' : 'ambiguous_name',
    named.length === 0 ? `No database is named ${ref}` : `${named.length} databases are named ${ref}: give the uid`,
  );
}
