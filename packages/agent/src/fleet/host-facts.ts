import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import { arch, availableParallelism, cpus, release, totalmem, type as osType, uptime } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { findRedisServer, type NodeHostFacts, type SupportedDatabaseVersion } from '@modfleet/common';

const run = promisify(execFile);

const SOFTWARE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Node's names for CPU architectures, as `uname -m` (and RS) spell them. */
const ARCHITECTURES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l' };

/** `/etc/os-release` fields (freedesktop format); empty where the file is absent (not Linux). */
async function osRelease(): Promise<Record<string, string>> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return fields;
}

async function diskSize(path: string): Promise<number> {
  try {
    const stats = await statfs(path);
    return stats.blocks * stats.bsize;
  } catch {
    return 0;
  }
}

/** The redis-server modules are load-checked in on this node, if there is one. */
async function redisVersions(redisServer: string): Promise<SupportedDatabaseVersion[]> {
  const path = await findRedisServer(redisServer);
  if (!path) return [];
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 5_000 });
    const version = /v=(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
    if (!version) return [];
    return [{ db_type: 'redis', version, redis_version: version.split('.').slice(0, 2).join('.') }];
  } catch {
    return [];
  }
}

/** What this host is, for the RS node object: read fresh at every registration. */
export async function collectHostFacts(options: { dataDir: string; redisServer: string }): Promise<NodeHostFacts> {
  const os = await osRelease();
  const dataDir = resolve(options.dataDir);
  const tempDir = join(dataDir, 'tmp');
  const [persistent, ephemeral, databases] = await Promise.all([
    diskSize(dataDir),
    diskSize(tempDir),
    redisVersions(options.redisServer),
  ]);
  return {
    architecture: ARCHITECTURES[arch()] ?? arch(),
    cores: cpus().length || availableParallelism(),
    total_memory: totalmem(),
    os_family: os.ID ?? osType().toLowerCase(),
    os_name: os.NAME ?? osType(),
    os_semantic_version: os.VERSION_ID ?? release(),
    os_version: os.PRETTY_NAME ?? `${osType()} ${release()}`,
    boot_time: new Date(Date.now() - uptime() * 1000).toISOString(),
    software_version: SOFTWARE_VERSION,
    persistent_storage_path: dataDir,
    persistent_storage_size: persistent,
    ephemeral_storage_path: tempDir,
    ephemeral_storage_size: ephemeral,
    supported_database_versions: databases,
  };
}
