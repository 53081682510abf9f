import { hashPassword } from '../auth/password-hash.js';
import { ConflictError, NotAcceptableError, NotFoundError } from '../errors.js';
import type { CreateUserInput, UpdateUserInput, UserRecord } from './user-types.js';

/** The CCS users: the Redis store in services, the fake in unit tests. */
export interface UserStore {
  findByEmail(email: string): Promise<UserRecord | undefined>;
  get(uid: number): Promise<UserRecord | undefined>;
  list(): Promise<UserRecord[]>;
  count(): Promise<number>;
  create(input: CreateUserInput): Promise<UserRecord>;
  update(uid: number, patch: UpdateUserInput): Promise<UserRecord>;
  delete(uid: number): Promise<void>;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The record a create stores under `uid`: the password kept only as its hash. */
export async function newUserRecord(uid: number, input: CreateUserInput): Promise<UserRecord> {
  return {
    uid,
    email: normalizeEmail(input.email),
    name: input.name ?? '',
    role: input.role,
    auth_method: 'regular',
    status: 'active',
    password_issue_date: new Date().toISOString(),
    password_hash: await hashPassword(input.password),
  };
}

/** The record after `patch`; a new password is hashed and restarts its issue date. */
export async function patchedUserRecord(current: UserRecord, patch: UpdateUserInput): Promise<UserRecord> {
  return {
    ...current,
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.role !== undefined && { role: patch.role }),
    ...(patch.password !== undefined && {
      password_hash: await hashPassword(patch.password),
      password_issue_date: new Date().toISOString(),
    }),
  };
}

export const emailTakenError = (email: string) =>
  new ConflictError('email_already_exists', `A user with email ${email} already exists`);

export const userNotFoundError = (uid: number) => new NotFoundError('user_not_exist', `User ${uid} does not exist`);

export const lastAdminError = () =>
  new NotAcceptableError('change_last_admin_role_not_allowed', 'The cluster must keep at least one admin user');
