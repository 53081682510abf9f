// `node --import <this file>`: records what the process loads into MODFLEET_IMPORT_TRACE, the ES
// modules through a resolve hook and, at exit, every CommonJS file (a package's own requires too).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register(new URL('./import-trace-hooks.js', import.meta.url));

const traceFile = process.env.MODFLEET_IMPORT_TRACE;
const require = createRequire(import.meta.url);
process.on('exit', () => {
  if (!traceFile) return;
  const commonJs = Object.keys(require.cache).map(path => pathToFileURL(path).href);
  appendFileSync(traceFile, commonJs.map(url => `${url}\n`).join(''));
});
