import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_TABLE_HEADER, envMarkdownTable, envTableRows } from './env-docs.js';
import { ENV_VARIABLES } from './env-registry.js';

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

const cellsOf = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map(cell => cell.trim());

/** The rows of the README table whose header is the variable table's, however its columns are padded. */
function readmeTableRows(markdown: string): string[][] | undefined {
  const lines = markdown.split('\n');
  const header = lines.findIndex(
    line => line.trim().startsWith('|') && cellsOf(line).join() === ENV_TABLE_HEADER.join(),
  );
  if (header < 0) return undefined;
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(cellsOf(line));
  }
  return rows;
}

describe("the README's variable table", () => {
  it('has one row per registered variable, with the flag, defaults, services and description the code uses', () => {
    const rows = readmeTableRows(README);

    // On a difference: paste the output of
    // npx tsx -e "import('./packages/common/src/config/env-docs.ts').then(m => console.log(m.envMarkdownTable()))"
    expect(rows, 'README.md has no table headed | Variable | Flag | Default | Services | Description |').toBeDefined();
    expect(rows).toEqual(envTableRows());
  });

  it('is told apart from a table that lost a row, changed a default or gained a variable', () => {
    const table = envMarkdownTable();
    const lines = table.split('\n');
    const withoutPort = lines.filter(line => !line.includes('`MODFLEET_PORT`')).join('\n');
    const otherDefault = table.replace('`9443` (coordinator)', '`8443` (coordinator)');
    const extra = `${table}\n| \`MODFLEET_SPARE\` | \`--spare <x>\` | unset | agent | not in the code |`;

    expect(readmeTableRows(table)).toEqual(envTableRows());
    for (const drifted of [withoutPort, otherDefault, extra]) {
      expect(readmeTableRows(drifted)).not.toEqual(envTableRows());
    }
  });

  it('can hold every description in one cell', () => {
    for (const [name, variable] of Object.entries(ENV_VARIABLES)) {
      expect(variable.description, name).not.toMatch(/[|\n]/);
    }
  });
});
