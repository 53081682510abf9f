import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';

/** A relative link that leads nowhere: `file:line` of the link, and what is wrong with it. */
export interface BrokenLink {
  at: string;
  target: string;
  problem: string;
}

const FENCE = /^\s*(```|~~~)/;
/** `[text](target)` and `![alt](target)`; the target ends at a space (a title) or the closing paren. */
const LINK = /!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** Markdown lines outside code blocks, with their 1-based numbers. */
function proseLines(markdown: string): [number, string][] {
  let inFence = false;
  const lines: [number, string][] = [];
  markdown.split('\n').forEach((line, index) => {
    if (FENCE.test(line)) inFence = !inFence;
    else if (!inFence) lines.push([index + 1, line]);
  });
  return lines;
}

/** The anchors GitHub gives a page's headings (the same slugs, duplicates numbered). */
export function headingAnchors(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  for (const [, line] of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading?.[1]) anchors.add(slugger.slug(heading[1]));
  }
  return anchors;
}

/** Every relative link of the given Markdown files whose file or heading anchor does not exist. */
export function brokenLinks(root: string, files: string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const file of files) {
    const markdown = readFileSync(join(root, file), 'utf8');
    for (const [lineNumber, line] of proseLines(markdown)) {
      for (const [, target = ''] of line.matchAll(LINK)) {
        if (EXTERNAL.test(target)) continue;
        const [path = '', anchor] = target.split('#');
        const resolved = path === '' ? join(root, file) : join(root, dirname(file), decodeURI(path));
        const at = `${file}:${lineNumber}`;
        if (!existsSync(resolved)) {
          broken.push({ at, target, problem: `no file ${relative(root, resolved)}` });
        } else if (anchor && resolved.endsWith('.md') && !headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push({ at, target, problem: `no heading #${anchor} in ${relative(root, resolved)}` });
        }
      }
    }
  }
  return broken;
}

/** The project's docs: README.md and every .md under docs/ and bench/, relative to the root. */
export function projectDocs(root: string): string[] {
  const under = (folder: string): string[] =>
    readdirSync(join(root, folder)).flatMap(name => {
      const path = join(folder, name);
      if (statSync(join(root, path)).isDirectory()) return name === 'node_modules' ? [] : under(path);
      return name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', ...under('docs'), ...under('bench')];
}
