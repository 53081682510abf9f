import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_TABLE_HEADER, envMarkdownTable, envTableRows } from './env-docs.js';
import { ENV_VARIABLES } from './env-registry.js';

const SERVICES_PAGE = readFileSync(new URL('../../../../docs/services.md', import.meta.url), 'utf8');

const cellsOf = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map(cell => cell.trim());

/** The rows of the Markdown table whose header is the variable table's, however its columns are padded. */
function variableTableRows(markdown: string): string[][] | undefined {
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

describe('the variable table of docs/services.md', () => {
  it('has one row per registered variable, with the flag, defaults, services and description the code uses', () => {
    const rows = variableTableRows(SERVICES_PAGE);

    // On a difference: paste the output of
    // npx tsx -e "import('./packages/common/src/config/env-docs.ts').then(m => console.log(m.envMarkdownTable()))"
    expect(
      rows,
      'docs/services.md has no table headed | Variable | Flag | Default | Services | Description |',
    ).toBeDefined();
    expect(rows).toEqual(envTableRows());
  });

  it('is told apart from a table that lost a row, changed a default or gained a variable', () => {
    const table = envMarkdownTable();
    const lines = table.split('\n');
    const withoutPort = lines.filter(line => !line.includes('`MODFLEET_PORT`')).join('\n');
    const otherDefault = table.replace('`9443` (coordinator)', '`8443` (coordinator)');
    const extra = `${table}\n| \`MODFLEET_SPARE\` | \`--spare <x>\` | unset | agent | not in the code |`;

    expect(variableTableRows(table)).toEqual(envTableRows());
    for (const drifted of [withoutPort, otherDefault, extra]) {
      expect(variableTableRows(drifted)).not.toEqual(envTableRows());
    }
  });

  it('can hold every description in one cell', () => {
    for (const [name, variable] of Object.entries(ENV_VARIABLES)) {
      expect(variable.description, name).not.toMatch(/[|\n]/);
    }
  });
});
