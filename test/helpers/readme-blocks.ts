import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './processes.js';

/** How the README test treats a block: run it to its end, run it in the background, or skip it. */
export type BlockMode = 'run' | 'background' | 'skip';

export interface ReadmeBlock {
  /** The document holding the block, relative to the repository root (README.md, docs/cli.md, …). */
  file: string;
  /** 1-based line of the opening fence in that document. */
  line: number;
  text: string;
  mode: BlockMode;
  /** Why a block is skipped or backgrounded (from its marker). */
  reason: string | undefined;
}

/** `<!-- readme-test: skip: why -->` or `<!-- readme-test: background: why -->`, right above a block. */
const MARKER = /^<!-- readme-test: (skip|background): (.+) -->$/;

/** Every ```sh block of one document, in order, with the marker above it if there is one. */
export function readmeShellBlocks(file = 'README.md'): ReadmeBlock[] {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (lines[index] !== '```sh') continue;
    const end = lines.indexOf('```', index + 1);
    if (end === -1) throw new Error(`${file}:${index + 1}: a sh block is never closed`);
    const marker = MARKER.exec(lines[index - 1] ?? '');
    blocks.push({
      file,
      line: index + 1,
      text: lines.slice(index + 1, end).join('\n'),
      mode: (marker?.[1] as BlockMode | undefined) ?? 'run',
      reason: marker?.[2],
    });
    index = end;
  }
  return blocks;
}

/**
 * The README's blocks, then those of every page under docs/ (sections the README links to moved
 * there), so that a command a user reads anywhere in the docs is run the same way.
 */
export function documentedShellBlocks(): ReadmeBlock[] {
  const pages = readdirSync(join(REPO_ROOT, 'docs'))
    .filter(name => name.endsWith('.md'))
    .sort()
    .map(name => `docs/${name}`);
  return ['README.md', ...pages].flatMap(file => readmeShellBlocks(file));
}
