import type { z } from 'zod';
import { envVariable, flagOf } from './config/env-table.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** `--port / MODFLEET_PORT`: the flag and the variable, whichever of the two the user reached for. */
const labelOf = (name: string) => (envVariable(name) ? `${flagOf(name)} / ${name}` : name);

/** The bad value quoted, unless it is a secret, and where it came from when that was a flag. */
function shownValue(name: string, value: string | undefined, fromFlag: boolean): string {
  if (value === undefined) return '';
  const source = fromFlag ? `, from ${flagOf(name)}` : '';
  if (envVariable(name)?.secret) return ` (value hidden${source})`;
  return ` (got "${value.replace(/\/\/[^@/]*@/, '//***@')}"${source})`;
}

/**
 * Parses the environment once against a schema keyed by variable names and reports every bad
 * variable together, naming its flag too and quoting the bad value unless it is a secret.
 * `fromFlags`: the variables whose value the user gave as a flag (`modfleet agent --port`).
 */
export function parseEnv<Schema extends z.ZodObject>(
  schema: Schema,
  env: Env,
  fromFlags: ReadonlySet<string> = new Set(),
): z.infer<Schema> {
  const present = Object.fromEntries(
    Object.keys(schema.shape).map(name => [name, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(issue => {
    const name = String(issue.path[0] ?? '');
    return `${labelOf(name)}: ${issue.message}${shownValue(name, present[name], fromFlags.has(name))}`;
  });
  throw new ConfigError(problems);
}

type TlsPair = { MODFLEET_TLS_CERT?: unknown; MODFLEET_TLS_KEY?: unknown };

/**
 * TLS needs both halves: one without the other is a configuration mistake, not plain HTTP.
 * `when` makes zod report this even when other variables are bad too.
 */
export function withTlsPairCheck<Schema extends z.ZodObject>(schema: Schema): Schema {
  const always = { when: () => true };
  const pair = (v: unknown) => v as TlsPair;
  return schema
    .refine(v => !pair(v).MODFLEET_TLS_CERT || Boolean(pair(v).MODFLEET_TLS_KEY), {
      ...always,
      path: ['MODFLEET_TLS_KEY'],
      message: 'MODFLEET_TLS_CERT and MODFLEET_TLS_KEY must be set together',
    })
    .refine(v => !pair(v).MODFLEET_TLS_KEY || Boolean(pair(v).MODFLEET_TLS_CERT), {
      ...always,
      path: ['MODFLEET_TLS_CERT'],
      message: 'MODFLEET_TLS_CERT and MODFLEET_TLS_KEY must be set together',
    });
}

export function tlsOption(certFile: unknown, keyFile: unknown): { certFile: string; keyFile: string } | undefined {
  return typeof certFile === 'string' && typeof keyFile === 'string' && certFile && keyFile
    ? { certFile, keyFile }
    : undefined;
}
