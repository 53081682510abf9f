/** One command as RS's module.json lists it (and as COMMAND INFO reports it). */
export interface ModuleCommand {
  command_name: string;
  command_arity: number;
  flags: string[];
  first_key: number;
  last_key: number;
  step: number;
}

/** What a module registers in Redis, read from Redis itself. */
export interface DiscoveredModule {
  /** MODULE LIST name (may differ from RS's module_name: RediSearch registers `ft`). */
  module_name: string;
  version: number;
  commands: ModuleCommand[];
  /** The redis-server that loaded it. */
  redis_version: string;
}

/** RS and RAMP encode versions as MMmmpp: 10200 is 1.2.0, 10012 is 1.0.12. */
export function semanticFromVersion(version: number): string {
  return `${Math.floor(version / 10_000)}.${Math.floor((version % 10_000) / 100)}.${version % 100}`;
}

/** Compares dotted versions numerically ("7.0.15" vs "7.2"): negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(part => Number.parseInt(part, 10) || 0);
  const pb = b.split('.').map(part => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** A COMMAND INFO entry: [name, arity, flags, first_key, last_key, step, ...Redis 7 extras]. */
export function parseCommandInfo(entry: unknown): ModuleCommand | undefined {
  if (!Array.isArray(entry) || entry.length < 6) return undefined;
  const [name, arity, flags, first, last, step] = entry as unknown[];
  return {
    command_name: String(name),
    command_arity: Number(arity),
    flags: Array.isArray(flags) ? flags.map(String) : [],
    first_key: Number(first),
    last_key: Number(last),
    step: Number(step),
  };
}

/** A MODULE LIST entry: a flat [key, value, ...] list (name, ver, path, args). */
export function parseModuleEntry(entry: unknown): { name: string; ver: number } | undefined {
  if (!Array.isArray(entry)) return undefined;
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
  const name = fields.get('name');
  if (typeof name !== 'string' && !Buffer.isBuffer(name)) return undefined;
  return { name: name.toString(), ver: Number(fields.get('ver')) };
}
