import { randomBytes } from 'node:crypto';
import { artifactKey, NotAcceptableError, toModuleObject, type ModuleObject } from '@modfleet/common';
import type { ModuleStore } from './module-store.js';

/** The CCS module objects in memory, with the Redis store's rules (one uid per name and version). */
export function createFakeModuleStore(): ModuleStore {
  const modules = new Map<string, ModuleObject>();
  const uidByName = new Map<string, string>();
  return {
    list() {
      const all = [...modules.values()].map(module => structuredClone(module));
      return Promise.resolve(all.sort((a, b) => a.module_name.localeCompare(b.module_name) || a.version - b.version));
    },
    get(uid) {
      const found = modules.get(uid);
      return Promise.resolve(found && structuredClone(found));
    },
    create(definition) {
      return Promise.resolve().then(() => {
        const module = toModuleObject(definition, randomBytes(16).toString('hex'));
        const name = artifactKey(module.module_name, module.version);
        if (uidByName.has(name)) {
          throw new NotAcceptableError(
            'module_exists',
            `Module ${module.module_name} version ${module.version} already exists in the cluster`,
          );
        }
        uidByName.set(name, module.uid);
        modules.set(module.uid, structuredClone(module));
        return module;
      });
    },
    delete(uid) {
      const existing = modules.get(uid);
      if (!existing) return Promise.resolve(false);
      modules.delete(uid);
      const name = artifactKey(existing.module_name, existing.version);
      if (uidByName.get(name) === uid) uidByName.delete(name);
      return Promise.resolve(true);
    },
  };
}
