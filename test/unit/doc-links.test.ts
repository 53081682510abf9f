import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, headingAnchors, projectDocs } from '../helpers/doc-links.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('links between the docs', () => {
  it('lead every relative link of README.md, docs/ and bench/ to a file and heading that exist', () => {
    const files = projectDocs(REPO_ROOT);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/behaviour.md', 'bench/README.md']));
    expect(brokenLinks(REPO_ROOT, files)).toEqual([]);
  });

  describe('the check itself', () => {
    const root = mkdtempSync(join(tmpdir(), 'doc-links-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'ha.md'), '# High availability\n\n## Two or more coordinators\n');
    writeFileSync(
      join(root, 'README.md'),
      [
        '# Title',
        'See [ha](docs/ha.md#two-or-more-coordinators), [top](#title) and [site](https://example.org/x).',
        'Gone: [cli](docs/cli.md) and [anchor](docs/ha.md#redis-sentinel).',
        '```sh',
        'echo "[not a link](nowhere.md)"',
        '```',
      ].join('\n'),
    );

    it('reports a missing file and a missing heading, with where the link is, and nothing else', () => {
      expect(brokenLinks(root, ['README.md'])).toEqual([
        { at: 'README.md:3', target: 'docs/cli.md', problem: 'no file docs/cli.md' },
        {
          at: 'README.md:3',
          target: 'docs/ha.md#redis-sentinel',
          problem: 'no heading #redis-sentinel in docs/ha.md',
        },
      ]);
    });

    it('gives headings the anchors GitHub gives them', () => {
      const anchors = headingAnchors(
        '## Beyond RS: one call for the whole fleet\n## Load testing: `modfleet load`\n## Routes\n## Routes',
      );
      expect([...anchors]).toEqual([
        'beyond-rs-one-call-for-the-whole-fleet',
        'load-testing-modfleet-load',
        'routes',
        'routes-1',
      ]);
    });
  });
});
