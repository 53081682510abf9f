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
    const shown = value === undefined ? '' : SECRET_VARIABLES.test(name) ? ' (value hidden)' : ` (got "${value}")`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new ConfigError(problems);
}

export const envSchemas = {
  redisUrl: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine(value => /^rediss?:\/\/./.test(value), { error: 'must be a redis:// or rediss:// URL' }),
  host: (fallback: string) => z.string().min(1).default(fallback),
  port: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a port number' })
      .int({ error: 'must be a whole port number' })
      .min(0, { error: 'must be between 0 and 65535' })
      .max(65535, { error: 'must be between 0 and 65535' })
      .default(fallback),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'must be 1-64 characters of A-Z a-z 0-9 _ . -' })
    .default('modfleet'),
  positiveBytes: (fallback: number) =>
    z.coerce
      .number({ error: 'must be a number of bytes' })
      .int({ error: 'must be a whole number of bytes' })
      .positive({ error: 'must be greater than 0' })
      .default(fallback),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  optionalPath: z.string().min(1).optional(),
  optionalUrl: z.url({ error: 'must be an http:// or https:// URL', protocol: /^https?$/ }).optional(),
};

export const ONE_GIB = 1024 ** 3;

/** TLS needs both halves: one without the other is a configuration mistake, not plain HTTP. */
export function tlsPairCheck(
  values: { MODFLEET_TLS_CERT?: string | undefined; MODFLEET_TLS_KEY?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (Boolean(values.MODFLEET_TLS_CERT) !== Boolean(values.MODFLEET_TLS_KEY)) {
    ctx.addIssue({
      code: 'custom',
      path: [values.MODFLEET_TLS_CERT ? 'MODFLEET_TLS_KEY' : 'MODFLEET_TLS_CERT'],
      message: 'MODFLEET_TLS_CERT and MODFLEET_TLS_KEY must be set together',
    });
  }
}

export function tlsOption(certFile: string | undefined, keyFile: string | undefined) {
  return certFile && keyFile ? { certFile, keyFile } : undefined;
}
