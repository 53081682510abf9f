import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactKey, extractZipEntry, type ShardPlan } from '@modfleet/common';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { LoadedModule } from './shard-args.js';

/** `<data dir>/shards`: one folder per database this node hosts a shard of. */
export const shardsDirOf = (dataDir: string) => join(dataDir, 'shards');
export const shardDirOf = (dataDir: string, bdbUid: number) => join(shardsDirOf(dataDir), String(bdbUid));

const PLAN_FILE = 'plan.json';

/** The plan a shard folder was started with, and the pid redis-server wrote: how a restarted agent finds it. */
export async function readShardFolder(dir: string): Promise<{ plan?: ShardPlan; pid?: number }> {
  const [plan, pid] = await Promise.all([
    readFile(join(dir, PLAN_FILE), 'utf8').then(
      text => JSON.parse(text) as ShardPlan,
      () => undefined,
    ),
    readFile(join(dir, 'redis.pid'), 'utf8').then(
      text => Number(text.trim()) || undefined,
      () => undefined,
    ),
  ]);
  return { ...(plan && { plan }), ...(pid && { pid }) };
}

export const writeShardPlan = (dir: string, plan: ShardPlan) => writeFile(join(dir, PLAN_FILE), JSON.stringify(plan));

/** Database uids that have a folder here. */
export async function shardFolders(dataDir: string): Promise<number[]> {
  const names = await readdir(shardsDirOf(dataDir)).catch(() => [] as string[]);
  return names.filter(name => /^\d+$/.test(name)).map(Number);
}

export const removeShardFolder = (dir: string) => rm(dir, { recursive: true, force: true });

/**
 * The `.so` of each module the plan loads, copied once out of the node's artifact zip into
 * `<data dir>/shards/.modules/<name>@<version>-<sha256>/` (unzipping a 2 MiB module costs more than
 * starting redis-server); every shard of that artifact loads the same file.
 */
export async function extractShardModules(
  plan: ShardPlan,
  dataDir: string,
  store: Pick<ArtifactStore, 'get' | 'zipPath'>,
  maxBytes: number,
): Promise<LoadedModule[]> {
  const loaded: LoadedModule[] = [];
  for (const module of plan.modules) {
    const artifact = store.get(module.module_name, module.version);
    const key = artifactKey(module.module_name, module.version);
    if (!artifact) throw new Error(`missing_module: this node does not hold ${key}`);
    const moduleDir = join(shardsDirOf(dataDir), '.modules', `${key}-${artifact.sha256.slice(0, 16)}`);
    const path = join(moduleDir, artifact.module_file);
    if (!(await exists(path))) {
      await mkdir(moduleDir, { recursive: true });
      const partial = `${path}.${randomUUID()}.partial`;
      await extractZipEntry(store.zipPath(module.module_name, module.version), artifact.module_file, partial, maxBytes);
      await rename(partial, path);
    }
    loaded.push({ path, args: module.module_args });
  }
  return loaded;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
