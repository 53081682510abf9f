import { describe, expect, it } from 'vitest';
import { MODULE_OBJECT_DEFAULTS, moduleObjectBodySchema, toModuleObject } from './module-object.js';

const definition = {
  module_name: 'M',
  version: 1,
  semantic_version: '0.0.1',
  display_name: 'M',
  commands: [],
  command_line_args: '',
  capabilities: [],
  min_redis_version: '7.0',
};

describe('the RS module object', () => {
  it('puts RS defaults under what was given and the cluster’s fields over it', () => {
    const module = toModuleObject({ ...definition, author: 'Redis', is_bundled: true, uid: 'mine' }, 'a'.repeat(32));
    expect(module).toEqual({ ...MODULE_OBJECT_DEFAULTS, ...definition, author: 'Redis', uid: 'a'.repeat(32) });
  });

  it('turns module.json’s dependency names into RS’s dependency object and keeps an object as is', () => {
    expect(toModuleObject({ ...definition, dependencies: ['a', 'b'] }, 'u').dependencies).toEqual({ a: {}, b: {} });
    expect(toModuleObject({ ...definition, dependencies: { a: { url: 'x' } } }, 'u').dependencies).toEqual({
      a: { url: 'x' },
    });
  });

  it('types the optional RS fields and keeps unknown ones', () => {
    expect(moduleObjectBodySchema.safeParse({ ...definition, author: 1 }).success).toBe(false);
    expect(moduleObjectBodySchema.safeParse({ ...definition, crdb: [] }).success).toBe(false);
    expect(moduleObjectBodySchema.parse({ ...definition, platforms: { x: 1 } })).toMatchObject({ platforms: { x: 1 } });
  });
});
