import type { z } from 'zod';
import { describeZodError } from '../artifacts/module-schemas.js';
import { NotAcceptableError } from '../errors.js';

/** RS answers 406 for a body with missing fields or bad values; the description names each one. */
export function validateBody<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
  errorCode: string,
): z.infer<Schema> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw new NotAcceptableError(errorCode, describeZodError(parsed.error));
  return parsed.data;
}
