#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node 22.1+ keeps compiled code between runs (a CLI starts often); Node 20 has no such cache.
module.enableCompileCache?.();

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'modfleet is not built yet: run `npm run build` (npm ci does it for you) in the modfleet checkout.\n',
  );
  process.exit(1);
}
await import(entry.href);
