import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Debian's redis-redisearch (RediSearch 1.2.2): registers as `ft`, version 10200. */
function findRediSearch(): string {
  const known = '/usr/lib/redis/modules/redisearch.so';
  if (existsSync(known)) return known;
  try {
    const files = execFileSync('dpkg', ['-L', 'redis-redisearch'], { encoding: 'utf8' }).split('\n');
    const so = files.find(file => file.endsWith('.so'));
    if (so) return so;
  } catch {
    // fall through to the message below
  }
  throw new Error('RediSearch is not installed: apt-get install redis-redisearch (.ci/run does)');
}

export const REDISEARCH_SO = findRediSearch();
export const REDIS_SERVER = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();

/** A text file named like a module: what a careless build or a typo ships. */
export async function writeFakeSo(dir: string, name = 'fake.so'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, 'this is not a shared object\n');
  return path;
}
