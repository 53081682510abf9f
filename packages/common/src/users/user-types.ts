import { z } from 'zod';
import type { UserView } from '../contract/views.js';
import { ROLES } from '../roles.js';

export const roleSchema = z.enum(ROLES);

/** What the API returns for a user: never the password or its hash. */
export type PublicUser = UserView;

export interface UserRecord extends PublicUser {
  password_hash: string;
}

export function toPublicUser({ password_hash: _hash, ...user }: UserRecord): PublicUser {
  return user;
}

const email = z.email({ error: 'email must be a valid email address' }).max(254);
const password = z.string().min(8, { error: 'password must be at least 8 characters' }).max(1024);

export const createUserSchema = z.strictObject({
  email,
  password,
  role: roleSchema,
  name: z.string().max(256).optional(),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export const updateUserSchema = z.strictObject({
  password: password.optional(),
  role: roleSchema.optional(),
  name: z.string().max(256).optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserSchema>;
