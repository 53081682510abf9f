import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const URL_IN_TEXT = /https?:\/\/([^/\s"'`),:]+)/g;

/**
 * A host CI or the image build may name: a loopback address, a shell variable or placeholder, or a
 * one-label name (a compose service such as `coordinator`). A dotted name is a host on some
 * network, such as a package mirror, which must come from the machine running CI, not the repo.
 */
const allowedHost = (host: string) =>
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host) || /[$<{]/.test(host) || !host.includes('.');

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap(name => filesUnder(join(path, name)));
}

/**
 * What builds and runs the project: CI scripts, the image, the compose file and npm's settings
 * (package-lock.json is checked for registry URLs below; its other URLs are packages' home pages).
 */
const BUILD_FILES = ['.ci', 'Dockerfile', 'docker-compose.yml', '.env.example', '.npmrc'].flatMap(name =>
  filesUnder(join(REPO_ROOT, name)),
);

describe('package registries and mirrors', () => {
  it('are named by no CI script, image or compose file: each comes from the machine', () => {
    const named = BUILD_FILES.flatMap(file =>
      [...readFileSync(file, 'utf8').matchAll(URL_IN_TEXT)]
        .map(match => match[1] ?? '')
        .filter(host => !allowedHost(host))
        .map(host => `${relative(REPO_ROOT, file)}: ${host}`),
    );
    expect(BUILD_FILES.map(file => relative(REPO_ROOT, file))).toContain('.ci/compose/standins.sh');
    expect(named).toEqual([]);
  });

  it('tells a mirror host from the names CI may use', () => {
    expect(['127.0.0.1', 'coordinator-2', '$addr', '<its'].every(allowedHost)).toBe(true);
    expect(allowedHost('mirror.example.org')).toBe(false);
  });

  it('are kept out of the lock file (.npmrc: omit-lockfile-registry-resolved)', () => {
    expect(readFileSync(join(REPO_ROOT, '.npmrc'), 'utf8')).toMatch(/^omit-lockfile-registry-resolved=true$/m);
    expect(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')).not.toMatch(/"resolved": "https?:/);
  });
});
