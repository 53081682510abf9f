export const ROLES = [
  'admin',
  'cluster_member',
  'cluster_viewer',
  'db_member',
  'db_viewer',
  'user_manager',
  'none',
] as const;
export type Role = (typeof ROLES)[number];

/** Every role that may read cluster-wide information (RS: all but `none`). */
const VIEWERS: readonly Role[] = ROLES.filter(role => role !== 'none');

/** The RS permissions modfleet enforces, with the roles that hold each (RS 8.x permissions.md). */
export const PERMISSIONS = {
  view_cluster_modules: VIEWERS,
  manage_cluster_modules: ['admin'],
  view_cluster_info: VIEWERS,
  update_cluster: ['admin'],
  view_all_users_info: ['admin', 'user_manager'],
  manage_users: ['admin', 'user_manager'],
  view_all_nodes_info: VIEWERS,
  update_node: ['admin'],
  view_status_of_cluster_action: VIEWERS,
  view_metrics: ['admin'],
  view_queue_dashboard: ['admin'],
  create_bdb: ['admin', 'cluster_member', 'db_member'],
  view_all_bdbs_info: VIEWERS,
  view_bdb_info: VIEWERS,
  delete_bdb: ['admin', 'cluster_member', 'db_member'],
  update_bdb_with_action: ['admin', 'cluster_member', 'db_member'],
  view_logged_events: ['admin', 'cluster_member', 'cluster_viewer', 'db_member', 'user_manager'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
