import { resolve } from 'node:path';
import { saveContext } from '../client/context-commands.js';
import { contextFilePath } from '../client/context-file.js';
import type { LocalCluster } from './local-cluster.js';

export const UP_CONTEXT = 'local';

/** Saves the cluster `up` started as the current context `local`, its admin password with it. */
export async function saveUpContext(cluster: LocalCluster, say: (line: string) => void): Promise<void> {
  const path = contextFilePath(process.env);
  try {
    await saveContext(path, UP_CONTEXT, {
      url: cluster.coordinator.url,
      user: cluster.admin.email,
      password: cluster.admin.password,
      cacert: resolve(cluster.caFile),
    });
    say(`Context "${UP_CONTEXT}" saved in ${path} (the admin password in clear, mode 0600) and made current.`);
  } catch (err) {
    say(`Could not save the context "${UP_CONTEXT}" in ${path}: ${(err as Error).message}`);
  }
}
