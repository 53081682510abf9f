import { z } from 'zod';
import { LOG_LEVELS } from '../log-levels.js';
import { parseRedisNodes } from '../redis-target.js';
import { parsePortRanges, type PortRanges } from './port-ranges.js';
import { timingOverridesSchema } from '../timings/service-timings.js';

/**
 * Text to a whole number in plain decimal digits, without JavaScript's surprises (`Number('  ') === 0`,
 * `Number('0x10') === 16`): `1e3`, `0x10`, `1.0`, `01` and anything else become NaN, which the
 * number schema refuses, so no node starts as 1000 or 16 from a typo.
 */
const integerFromText = (value: unknown) =>
  typeof value === 'string' ? (/^\s*(0|-?[1-9]\d*)\s*$/.test(value) ? Number(value) : Number.NaN) : value;

export const ONE_GIB = 1024 ** 3;

/** The zod pieces the variables of the env registry are made of. */
export const envSchemas = {
  portRanges: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value, ctx): PortRanges => {
        const ranges = parsePortRanges(value);
        if (!ranges) ctx.addIssue({ code: 'custom', message: 'must be ports or low-high ranges, comma-separated' });
        return ranges ?? [];
      }),
  redisUrl: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine(value => /^rediss?:\/\/./.test(value), { error: 'must be a redis:// or rediss:// URL' }),
  host: (fallback: string) => z.string().min(1).default(fallback),
  port: (fallback: number) =>
    z
      .preprocess(
        integerFromText,
        z
          .number({ error: 'must be a port number' })
          .int({ error: 'must be a whole port number' })
          .min(0, { error: 'must be between 0 and 65535' })
          .max(65535, { error: 'must be between 0 and 65535' }),
      )
      .default(fallback),
  /** A port where 0 (or unset) means off: the config field is undefined then. */
  portOrOff: z
    .preprocess(
      integerFromText,
      z
        .number({ error: 'must be a port number (0: off)' })
        .int({ error: 'must be a whole port number' })
        .min(0, { error: 'must be between 0 and 65535' })
        .max(65535, { error: 'must be between 0 and 65535' })
        .optional(),
    )
    .transform(value => (value === 0 ? undefined : value)),
  path: (fallback: string) => z.string().min(1).default(fallback),
  prefix: z
    .string()
    .regex(/^(?=.{1,64}$)[A-Za-z0-9_.-]*(\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/, {
      error: 'must be 1-64 characters of A-Z a-z 0-9 _ . -',
    })
    .default('modfleet'),
  optionalRedisNodes: z
    .string()
    .transform((value, ctx) => {
      const nodes = parseRedisNodes(value);
      if (!nodes) ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of host:port' });
      return nodes ?? [];
    })
    .optional(),
  optionalName: z.string().regex(/^\S+$/, { error: 'must be a name without spaces' }).optional(),
  email: (fallback: string) => z.email({ error: 'must be an email address' }).default(fallback),
  optionalSecret: (minLength: number) =>
    z
      .string()
      .min(minLength, { error: `must be at least ${minLength} characters` })
      .optional(),
  positiveBytes: (fallback: number) =>
    z
      .preprocess(
        integerFromText,
        z
          .number({ error: 'must be a number of bytes' })
          .int({ error: 'must be a whole number of bytes' })
          .positive({ error: 'must be greater than 0' }),
      )
      .default(fallback),
  optionalPositiveInt: z
    .preprocess(
      integerFromText,
      z
        .number({ error: 'must be a positive integer' })
        .int({ error: 'must be a positive integer' })
        .positive({ error: 'must be a positive integer' })
        .optional(),
    )
    .optional(),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  optionalPath: z.string().min(1).optional(),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform(value => ['true', '1', 'yes'].includes(value))
      .default(fallback),
  optionalUrl: z.url({ error: 'must be an http:// or https:// URL', protocol: /^https?$/ }).optional(),
  /** `http://a:9443,http://b:9443`: one URL or several, in order of preference; blank entries ignored. */
  optionalUrlList: z
    .string()
    .transform(value =>
      value
        .split(',')
        .map(url => url.trim())
        .filter(url => url !== ''),
    )
    .pipe(
      z
        .array(z.url({ error: 'must be an http:// or https:// URL', protocol: /^https?$/ }))
        .min(1, { error: 'must name at least one URL' }),
    )
    .optional(),
  /** `{"heartbeatIntervalMs":100}`: some of the service timings as JSON; unset: the defaults. */
  timingOverrides: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of timings in ms' });
        return z.NEVER;
      }
    })
    .pipe(timingOverridesSchema)
    .optional(),
};
