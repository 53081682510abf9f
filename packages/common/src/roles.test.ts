import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, roleHasPermission, type Permission, type Role } from './roles.js';

const ALL_BUT_NONE: Role[] = ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager'];

describe('roles and permissions', () => {
  it('knows exactly the seven RS roles', () => {
    const roles = [...ROLES].sort();

    expect(roles).toEqual(
      ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'none', 'user_manager'].sort(),
    );
  });

  it.each(ALL_BUT_NONE)('lets %s view cluster modules', role => {
    const allowed = roleHasPermission(role, 'view_cluster_modules');

    expect(allowed).toBe(true);
  });

  it('does not let role none view cluster modules', () => {
    const allowed = roleHasPermission('none', 'view_cluster_modules');

    expect(allowed).toBe(false);
  });

  it.each(ROLES)('lets %s manage cluster modules only if it is admin', role => {
    const allowed = roleHasPermission(role, 'manage_cluster_modules');

    expect(allowed).toBe(role === 'admin');
  });

  it.each(ROLES)('lets %s update the cluster only if it is admin', role => {
    const allowed = roleHasPermission(role, 'update_cluster');

    expect(allowed).toBe(role === 'admin');
  });

  it.each(ROLES)('lets %s see the cluster, nodes and actions unless it is none', role => {
    const views: Permission[] = ['view_cluster_info', 'view_all_nodes_info', 'view_status_of_cluster_action'];

    const allowed = views.map(permission => roleHasPermission(role, permission));

    expect(allowed).toEqual(views.map(() => role !== 'none'));
  });

  it.each(ROLES)('lets %s see and manage users only if it is admin or user_manager', role => {
    const allowed = [roleHasPermission(role, 'view_all_users_info'), roleHasPermission(role, 'manage_users')];

    const expected = role === 'admin' || role === 'user_manager';
    expect(allowed).toEqual([expected, expected]);
  });

  it('gives role none no permission at all', () => {
    const permissions = Object.keys(PERMISSIONS) as Permission[];

    const granted = permissions.filter(permission => roleHasPermission('none', permission));

    expect(granted).toEqual([]);
  });

  it('gives admin every permission', () => {
    const permissions = Object.keys(PERMISSIONS) as Permission[];

    const refused = permissions.filter(permission => !roleHasPermission('admin', permission));

    expect(refused).toEqual([]);
  });
});
