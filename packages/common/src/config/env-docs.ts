import { defaultOf, ENV_VARIABLES, flagSpecOf, isInternalVariable, servicesOf, type EnvName } from './env-registry.js';

export const ENV_TABLE_HEADER = ['Variable', 'Flag', 'Default', 'Services', 'Description'];

const code = (text: string) => `\`${text}\``;

/** One default for all its services, a default per service where they differ, or `unset`. */
function defaultCell(name: EnvName): string {
  const services = servicesOf(name);
  const defaults = services.map(service => defaultOf(name, service));
  if (defaults.every(value => value === undefined)) return 'unset';
  if (new Set(defaults).size === 1) return code(defaults[0]!);
  return services.map((service, index) => `${code(defaults[index] ?? 'unset')} (${service})`).join(', ');
}

/** The variable table of docs/services.md as rows of cells, straight from the env registry. */
export function envTableRows(): string[][] {
  const documented = (Object.keys(ENV_VARIABLES) as EnvName[]).filter(name => !isInternalVariable(name));
  return documented.map(name => [
    code(name),
    code(flagSpecOf(name)),
    defaultCell(name),
    servicesOf(name).join(', '),
    ENV_VARIABLES[name].description,
  ]);
}

/** The same table in Markdown, to paste into docs/services.md when a variable changes. */
export function envMarkdownTable(): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(ENV_TABLE_HEADER), line(ENV_TABLE_HEADER.map(() => '---')), ...envTableRows().map(line)].join('\n');
}
