// Module resolve hook (node:module register): appends every URL the process resolves to the
// file named by MODFLEET_IMPORT_TRACE. Loaded by import-trace-register.js; see import-trace.ts.
import { appendFileSync } from 'node:fs';

const traceFile = process.env.MODFLEET_IMPORT_TRACE;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (traceFile) appendFileSync(traceFile, `${resolved.url}\n`);
  return resolved;
}
