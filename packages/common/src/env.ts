import { z } from 'zod';
import { LOG_LEVELS } from './logger.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map(problem => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Variables whose values must never be echoed back in an error message. */
const SECRET_VARIABLES = /PASSWORD|SECRET|KEY$/;

/**
 * Parses the environment once against a schema keyed by variable names and reports every
 * bad variable together, quoting the bad value unless it is a secret.
 */
export function parseEnv<Schema extends z.ZodObject>(schema: Schema, env: Env): z.infer<Schema> {
  const present = Object.fromEntries(
    Object.keys(schema.shape).map(name => [name, env[name] === '' ? undefined : env[name]]),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(issue => {
    const name = String(issue.path[0] ?? '');
    const value = present[name];
    const shown =
      value === undefined
        ? ''
        : SECRET_VARIABLES.test(name)
          ? ' (value hidden)'
          : ` (got "${value.replace(/\/\/[^@/]*@/, '//***@')}")`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}

/** Text to number without JavaScript's surprises (`Number('  ') === 0`): anything but a plain number is NaN. */
const numberFromText = (value: unknown) =>
  typeof value === 'string' ? (/^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN) : value;

export const envSchemas = {
  redisUrl: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine(value => /^rediss?:\/\/./.test(value), { error: 'must be a redis:// or rediss:// URL' }),
  host: (fallback: string) => z.string().min(1).default(fallback),
  port: (fallback: number) =>
    z
      .preprocess(
        numberFromText,
        z
          .number({ error: 'must be a port number' })
          .int({ error: 'must be a whole port number' })
          .min(0, { error: 'must be between 0 and 65535' })
          .max(65535, { error: 'must be between 0 and 65535' }),
      )
      .default(fallback),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1-64 characters of A-Z a-z 0-9 _ . -' })
    .default('modfleet'),
  positiveBytes: (fallback: number) =>
    z
      .preprocess(
        numberFromText,
        z
          .number({ error: 'must be a number of bytes' })
          .int({ error: 'must be a whole number of bytes' })
          .positive({ error: 'must be greater than 0' }),
      )
      .default(fallback),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  optionalPath: z.string().min(1).optional(),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform(value => ['true', '1', 'yes'].includes(value))
      .default(fallback),
  optionalUrl: z.url({ error: 'must be an http:// or https:// URL', protocol: /^https?$/ }).optional(),
};

export const ONE_GIB = 1024 ** 3;

type TlsPair = { MODFLEET_TLS_CERT?: string | undefined; MODFLEET_TLS_KEY?: string | undefined };

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

export function tlsOption(certFile: string | undefined, keyFile: string | undefined) {
  return certFile && keyFile ? { certFile, keyFile } : undefined;
}
