import { ConfigError } from '@modfleet/common/env';

/** Ends the CLI with one readable message instead of a stack trace. */
export function exitWithError(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`modfleet: ${message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
