import { routes, type Role } from '@modfleet/common';
import { api, type Credentials } from './http.js';
import { ADMIN } from './in-process-cluster.js';

export const NON_ADMIN_ROLES = [
  'cluster_member',
  'cluster_viewer',
  'db_member',
  'db_viewer',
  'user_manager',
  'none',
] as const;
/** Every role that holds view_cluster_modules (all but `none`). */
export const VIEWER_ROLES = [
  'admin',
  'cluster_member',
  'cluster_viewer',
  'db_member',
  'db_viewer',
  'user_manager',
] as const;

/** Creates one user per non-admin role on the coordinator; with ADMIN, the credentials of every role. */
export async function createRoleUsers(coordinatorUrl: string): Promise<Record<Role, Credentials>> {
  const users = { admin: ADMIN } as Record<Role, Credentials>;
  await Promise.all(
    NON_ADMIN_ROLES.map(async role => {
      const credentials = { email: `${role}@test.local`, password: `${role}-password-1` };
      const created = await api(`${coordinatorUrl}${routes.users}`, {
        method: 'POST',
        credentials: ADMIN,
        json: { ...credentials, role },
      });
      if (created.status !== 200) throw new Error(`could not create the ${role} user: ${created.status}`);
      users[role] = credentials;
    }),
  );
  return users;
}
