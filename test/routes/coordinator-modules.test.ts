import { pathTo, routes, type Role } from '@modfleet/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { fakeCoordinatorPerTest, startFakeCoordinator, type FakeCoordinator } from '../helpers/fake-coordinator.js';
import { createRoleUsers, NON_ADMIN_ROLES, VIEWER_ROLES } from '../helpers/role-users.js';
import { api, basicAuth, type Credentials } from '../helpers/http.js';
import { expectRsError } from '../helpers/rs-error.js';

const REQUIRED_FIELDS = [
  'module_name',
  'version',
  'semantic_version',
  'display_name',
  'commands',
  'command_line_args',
  'capabilities',
  'min_redis_version',
] as const;

/** Fields RS puts on every module object (objects/module.md). */
const RS_MODULE_FIELDS = [
  'uid',
  'author',
  'bigstore_version_2_support',
  'capabilities',
  'capability_name',
  'command_line_args',
  'compatible_redis_version',
  'config_command',
  'crdb',
  'dependencies',
  'description',
  'display_name',
  'email',
  'homepage',
  'is_bundled',
  'license',
  'min_redis_version',
  'module_file',
  'module_name',
  'semantic_version',
  'version',
];

interface ModuleObject {
  uid: string;
  module_name: string;
  version: number;
  [field: string]: unknown;
}

/** A valid POST /v2/modules/user-defined body with a module name no other test uses. */
function moduleDefinition(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const definition: Record<string, unknown> = {
    module_name: `TestModule-${randomUUID().slice(0, 8)}`,
    version: 1,
    semantic_version: '0.0.1',
    display_name: 'test module',
    commands: [
      { command_arity: -1, command_name: 'json.arrtrim', first_key: 1, flags: ['write'], last_key: 1, step: 1 },
    ],
    command_line_args: '',
    capabilities: ['list', 'of', 'capabilities'],
    min_redis_version: '2.1',
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete definition[key];
    else definition[key] = value;
  }
  return definition;
}

describe('CCS module objects (POST/DELETE /v2/modules/user-defined, GET /v1/modules)', () => {
  let cluster: FakeCoordinator;
  let base: string;
  const users = {} as Record<Role, Credentials>;

  const createModule = (definition: Record<string, unknown>, credentials: Credentials = ADMIN) =>
    api<ModuleObject>(`${base}${routes.userDefinedModules}`, { method: 'POST', credentials, json: definition });

  beforeAll(async () => {
    cluster = await startFakeCoordinator();
    base = cluster.url;
    Object.assign(users, await createRoleUsers(base));
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  describe('POST /v2/modules/user-defined', () => {
    it('creates the module object and answers it with a 32-hex uid and the RS fields', async () => {
      const definition = moduleDefinition();

      const res = await createModule(definition);

      expect(res.status).toBe(200);
      expect(res.body.uid).toMatch(/^[0-9a-f]{32}$/);
      expect(Object.keys(res.body)).toEqual(expect.arrayContaining(RS_MODULE_FIELDS));
      expect(res.body).toMatchObject({ ...definition, is_bundled: false, crdb: {}, dependencies: {} });
    });

    it('gives each module object its own uid', async () => {
      const first = await createModule(moduleDefinition());

      const second = await createModule(moduleDefinition());

      expect(second.status).toBe(200);
      expect(second.body.uid).not.toBe(first.body.uid);
    });

    it('keeps extra RS metadata sent in the body but never lets the client pick the uid or is_bundled', async () => {
      const definition = moduleDefinition({
        author: 'author name',
        license: 'MIT',
        uid: 'client-chosen',
        is_bundled: true,
      });

      const res = await createModule(definition);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ author: 'author name', license: 'MIT', is_bundled: false });
      expect(res.body.uid).toMatch(/^[0-9a-f]{32}$/);
    });

    it('refuses an empty object with 406 invalid_module', async () => {
      const res = await createModule({});

      expectRsError(res, 406, 'invalid_module');
    });

    it.each(REQUIRED_FIELDS)('refuses a body without %s with 406 naming that field', async field => {
      const definition = moduleDefinition({ [field]: undefined });

      const res = await createModule(definition);

      const error = expectRsError(res, 406, 'invalid_module');
      expect(error.description).toContain(field);
    });

    it.each([
      ['version as a string', { version: '1' }, 'version'],
      ['a fractional version', { version: 1.5 }, 'version'],
      ['a negative version', { version: -1 }, 'version'],
      ['commands that are not an array', { commands: 'json.arrtrim' }, 'commands'],
      ['a command without a name', { commands: [{ command_arity: 1 }] }, 'commands'],
      ['capabilities that are not strings', { capabilities: [1] }, 'capabilities'],
      ['capabilities as a string', { capabilities: 'types' }, 'capabilities'],
      ['display_name as a number', { display_name: 5 }, 'display_name'],
      ['command_line_args as an array', { command_line_args: [] }, 'command_line_args'],
      ['min_redis_version as a number', { min_redis_version: 7 }, 'min_redis_version'],
      ['an empty semantic_version', { semantic_version: '' }, 'semantic_version'],
    ])('refuses %s with 406 invalid_module', async (_label, override, field) => {
      const definition = moduleDefinition(override);

      const res = await createModule(definition);

      const error = expectRsError(res, 406, 'invalid_module');
      expect(error.description).toContain(field);
    });

    it.each([
      ['a path', '../etc/passwd'],
      ['a slash', 'my/module'],
      ['a space', 'my module'],
      ['dots only', '..'],
      ['an empty name', ''],
      ['65 characters', 'm'.repeat(65)],
      ['a number', 42],
    ])('refuses a module_name with %s with 406 invalid_module', async (_label, moduleName) => {
      const definition = moduleDefinition({ module_name: moduleName });

      const res = await createModule(definition);

      const error = expectRsError(res, 406, 'invalid_module');
      expect(error.description).toContain('module_name');
    });

    it('accepts a module_name of letters, digits, dot, underscore and dash up to 64 characters', async () => {
      const moduleName = `a.b_c-${randomUUID().replaceAll('-', '')}`.padEnd(64, 'x');

      const res = await createModule(moduleDefinition({ module_name: moduleName }));

      expect(res.status).toBe(200);
      expect(res.body.module_name).toBe(moduleName);
    });

    it('answers 400 with an RS error body for a body that is not JSON', async () => {
      const res = await fetch(`${base}${routes.userDefinedModules}`, {
        method: 'POST',
        headers: { authorization: basicAuth(ADMIN), 'content-type': 'application/json', accept: 'application/json' },
        body: '{"module_name": "TestModule", ',
      });

      expectRsError({ status: res.status, headers: res.headers, body: await res.json() }, 400);
    });

    it('refuses the same module_name and version twice with 406 module_exists', async () => {
      const definition = moduleDefinition();
      const first = await createModule(definition);

      const second = await createModule({ ...definition, display_name: 'another display name' });

      expect(first.status).toBe(200);
      expectRsError(second, 406, 'module_exists');
    });

    it('accepts another version of an existing module', async () => {
      const definition = moduleDefinition();
      await createModule(definition);

      const res = await createModule({ ...definition, version: 2, semantic_version: '0.0.2' });

      expect(res.status).toBe(200);
    });

    it('creates only one object when the same name and version arrive concurrently', async () => {
      const definition = moduleDefinition();

      const results = await Promise.all(Array.from({ length: 5 }, () => createModule(definition)));

      expect(results.map(res => res.status).sort()).toEqual([200, 406, 406, 406, 406]);
      const list = await api<ModuleObject[]>(`${base}${routes.modules}`, { credentials: ADMIN });
      expect(list.body.filter(module => module.module_name === definition.module_name)).toHaveLength(1);
    });

    it('answers 401 with a Basic challenge without credentials', async () => {
      const res = await api(`${base}${routes.userDefinedModules}`, { method: 'POST', json: moduleDefinition() });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it('answers 401 with a Basic challenge for a wrong password', async () => {
      const res = await createModule(moduleDefinition(), { email: ADMIN.email, password: 'wrong-password' });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it.each(NON_ADMIN_ROLES)('answers 403 to a %s user and creates nothing', async role => {
      const definition = moduleDefinition();

      const res = await createModule(definition, users[role]);

      expectRsError(res, 403);
      const list = await api<ModuleObject[]>(`${base}${routes.modules}`, { credentials: ADMIN });
      expect(list.body.some(module => module.module_name === definition.module_name)).toBe(false);
    });
  });

  describe('with allow_modules_upload switched off', () => {
    const own = fakeCoordinatorPerTest();

    it('refuses an admin with 403 modules_upload_disabled, and accepts again once switched back on', async () => {
      const url = `${own().url}${routes.userDefinedModules}`;
      const cluster = `${own().url}${routes.cluster}`;
      const definition = moduleDefinition();

      const off = await api(cluster, { method: 'PUT', credentials: ADMIN, json: { allow_modules_upload: false } });
      const refused = await api(url, { method: 'POST', credentials: ADMIN, json: definition });
      const on = await api(cluster, { method: 'PUT', credentials: ADMIN, json: { allow_modules_upload: true } });
      const accepted = await api<ModuleObject>(url, { method: 'POST', credentials: ADMIN, json: definition });

      expect(off.status).toBe(200);
      expectRsError(refused, 403, 'modules_upload_disabled');
      expect(on.status).toBe(200);
      expect(accepted.status).toBe(200);
      expect(accepted.body.module_name).toBe(definition.module_name);
    });

    it('still lists and deletes module objects while uploads are off', async () => {
      const created = await api<ModuleObject>(`${own().url}${routes.userDefinedModules}`, {
        method: 'POST',
        credentials: ADMIN,
        json: moduleDefinition(),
      });
      await api(`${own().url}${routes.cluster}`, {
        method: 'PUT',
        credentials: ADMIN,
        json: { allow_modules_upload: false },
      });

      const list = await api<ModuleObject[]>(`${own().url}${routes.modules}`, { credentials: ADMIN });
      const deleted = await api(`${own().url}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`, {
        method: 'DELETE',
        credentials: ADMIN,
      });

      expect(list.status).toBe(200);
      expect(list.body.map(module => module.uid)).toContain(created.body.uid);
      expect(deleted.status).toBe(200);
    });
  });

  describe('DELETE /v2/modules/user-defined/<uid>', () => {
    it('deletes the module object so that GET /v1/modules/<uid> answers 404', async () => {
      const created = await createModule(moduleDefinition());

      const deleted = await api(`${base}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`, {
        method: 'DELETE',
        credentials: ADMIN,
      });
      const after = await api(`${base}${pathTo(routes.module, { uid: created.body.uid })}`, { credentials: ADMIN });

      expect(deleted.status).toBe(200);
      expectRsError(after, 404);
    });

    it('removes the deleted module from GET /v1/modules', async () => {
      const created = await createModule(moduleDefinition());

      await api(`${base}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`, {
        method: 'DELETE',
        credentials: ADMIN,
      });
      const list = await api<ModuleObject[]>(`${base}${routes.modules}`, { credentials: ADMIN });

      expect(list.body.map(module => module.uid)).not.toContain(created.body.uid);
    });

    it('answers 404 module_delete_failed for an unknown uid', async () => {
      const res = await api(`${base}${pathTo(routes.userDefinedModule, { uid: randomUUID().replaceAll('-', '') })}`, {
        method: 'DELETE',
        credentials: ADMIN,
      });

      expectRsError(res, 404, 'module_delete_failed');
    });

    it('answers 404 module_delete_failed when the same uid is deleted twice', async () => {
      const created = await createModule(moduleDefinition());
      const url = `${base}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`;
      await api(url, { method: 'DELETE', credentials: ADMIN });

      const again = await api(url, { method: 'DELETE', credentials: ADMIN });

      expectRsError(again, 404, 'module_delete_failed');
    });

    it.each(NON_ADMIN_ROLES)('answers 403 to a %s user and keeps the module', async role => {
      const created = await createModule(moduleDefinition());

      const res = await api(`${base}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`, {
        method: 'DELETE',
        credentials: users[role],
      });
      const after = await api(`${base}${pathTo(routes.module, { uid: created.body.uid })}`, { credentials: ADMIN });

      expectRsError(res, 403);
      expect(after.status).toBe(200);
    });

    it('answers 401 with a Basic challenge without credentials', async () => {
      const created = await createModule(moduleDefinition());

      const res = await api(`${base}${pathTo(routes.userDefinedModule, { uid: created.body.uid })}`, {
        method: 'DELETE',
      });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it('lets the same module_name and version be created again after a delete', async () => {
      const definition = moduleDefinition();
      const first = await createModule(definition);
      await api(`${base}${pathTo(routes.userDefinedModule, { uid: first.body.uid })}`, {
        method: 'DELETE',
        credentials: ADMIN,
      });

      const second = await createModule(definition);

      expect(second.status).toBe(200);
      expect(second.body.uid).not.toBe(first.body.uid);
    });
  });

  describe('GET /v1/modules and /v1/modules/<uid>', () => {
    it.each(VIEWER_ROLES)('lists module objects to a %s user', async role => {
      const created = await createModule(moduleDefinition());

      const res = await api<ModuleObject[]>(`${base}${routes.modules}`, { credentials: users[role] });

      expect(res.status).toBe(200);
      expect(res.body).toContainEqual(created.body);
    });

    it('answers 403 to a user with role none', async () => {
      const res = await api(`${base}${routes.modules}`, { credentials: users.none });

      expectRsError(res, 403);
    });

    it('answers 401 with a Basic challenge without credentials', async () => {
      const res = await api(`${base}${routes.modules}`);

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it.each(VIEWER_ROLES)('returns one module object, as created, to a %s user', async role => {
      const created = await createModule(moduleDefinition());

      const res = await api<ModuleObject>(`${base}${pathTo(routes.module, { uid: created.body.uid })}`, {
        credentials: users[role],
      });

      expect(res.status).toBe(200);
      expect(res.body).toEqual(created.body);
    });

    it('answers 403 for one module to a user with role none', async () => {
      const created = await createModule(moduleDefinition());

      const res = await api(`${base}${pathTo(routes.module, { uid: created.body.uid })}`, { credentials: users.none });

      expectRsError(res, 403);
    });

    it('answers 404 for an unknown uid', async () => {
      const res = await api(`${base}${pathTo(routes.module, { uid: randomUUID().replaceAll('-', '') })}`, {
        credentials: ADMIN,
      });

      expectRsError(res, 404);
    });
  });
});
