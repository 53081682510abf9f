import { describe, expect, it } from 'vitest';
import { PermanentCoordinatorError, type CoordinatorClient } from './coordinator-client.js';
import { createCoordinatorPool, pooledCoordinatorClient } from './coordinator-pool.js';

const refused = () => Promise.reject(new Error('connect ECONNREFUSED'));

describe('createCoordinatorPool', () => {
  it('moves on to the next coordinator when one does not answer, and starts from the one that answered next time', async () => {
    const pool = createCoordinatorPool(['http://a', 'http://b', 'http://c']);
    const asked: string[] = [];

    const first = await pool.attempt(url => (asked.push(url), url === 'http://b' ? Promise.resolve(url) : refused()));

    expect(first).toBe('http://b');
    expect(asked).toEqual(['http://a', 'http://b']);
    expect(pool.urls()).toEqual(['http://b', 'http://c', 'http://a']);
  });

  it('does not try another coordinator for a refusal no coordinator would fix', async () => {
    const pool = createCoordinatorPool(['http://a', 'http://b']);
    const asked: string[] = [];

    await expect(
      pool.attempt(url => (asked.push(url), Promise.reject(new PermanentCoordinatorError('bad signature', 401)))),
    ).rejects.toThrow('bad signature');
    expect(asked).toEqual(['http://a']);
  });

  it('throws the last failure when none answers', async () => {
    const pool = createCoordinatorPool(['http://a', 'http://b']);

    await expect(pool.attempt(url => Promise.reject(new Error(`${url} down`)))).rejects.toThrow('http://b down');
  });
});

describe('pooledCoordinatorClient', () => {
  it('tries the next coordinator for a blob one of them does not hold', async () => {
    const pool = createCoordinatorPool(['http://a', 'http://b']);
    const upload = { path: '/tmp/x', size: 1, sha256: 'f'.repeat(64) };
    const client = pooledCoordinatorClient(
      pool,
      url =>
        ({
          register: () => Promise.reject(new Error('unused')),
          download: () =>
            url === 'http://a'
              ? Promise.reject(new PermanentCoordinatorError('artifact download answered 404', 404))
              : Promise.resolve(upload),
          hasBlob: () => Promise.resolve(true),
        }) satisfies CoordinatorClient,
    );

    await expect(client.download('/internal/blobs/x', '/tmp', () => undefined)).resolves.toBe(upload);
  });

  const holding = (answers: Record<string, boolean | Error>) => (url: string) =>
    ({
      register: () => Promise.reject(new Error('unused')),
      download: () => Promise.reject(new Error('unused')),
      hasBlob: () => {
        const answer = answers[url]!;
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    }) satisfies CoordinatorClient;

  it('reads a blob as gone only when a coordinator says so and none holds it', async () => {
    const pool = createCoordinatorPool(['http://a', 'http://b']);
    const gone = pooledCoordinatorClient(pool, holding({ 'http://a': false, 'http://b': new Error('down') }));
    const heldByB = pooledCoordinatorClient(pool, holding({ 'http://a': false, 'http://b': true }));
    const unknown = pooledCoordinatorClient(
      pool,
      holding({ 'http://a': new Error('down'), 'http://b': new Error('down') }),
    );

    await expect(gone.hasBlob('/x')).resolves.toBe(false);
    await expect(heldByB.hasBlob('/x')).resolves.toBe(true);
    await expect(unknown.hasBlob('/x')).rejects.toThrow('down');
  });
});
