import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'node.json';

/** The node uid the coordinator gave this agent, kept beside its artifacts so restarts keep it. */
export async function readNodeUid(dataDir: string): Promise<number | undefined> {
  try {
    const { uid } = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as { uid?: unknown };
    return typeof uid === 'number' && Number.isInteger(uid) && uid > 0 ? uid : undefined;
  } catch {
    return undefined;
  }
}

export async function writeNodeUid(dataDir: string, uid: number): Promise<void> {
  const temp = join(dataDir, `${FILE}.tmp`);
  await writeFile(temp, JSON.stringify({ uid }));
  await rename(temp, join(dataDir, FILE));
}
