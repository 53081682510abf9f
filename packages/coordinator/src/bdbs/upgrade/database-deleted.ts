import type { BdbRecord } from '../bdb-store.js';

/** The machine's words for an upgrade whose database was deleted before it ended. */
export const databaseDeleted = (uid: number) =>
  `database ${uid} was deleted during the upgrade; the upgrade stopped there`;

/** Thrown by an upgrade step that finds its database deleted: the job ends its machine saying so. */
export class DatabaseDeleted extends Error {
  constructor(uid: number) {
    super(databaseDeleted(uid));
  }
}

/** The database is gone, or a delete of it is under way: nothing of the upgrade is left to do. */
export const deletedUnder = (record: BdbRecord | undefined): boolean =>
  record === undefined || record.status === 'delete-pending';
