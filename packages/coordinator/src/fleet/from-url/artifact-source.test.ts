import { describe, expect, it } from 'vitest';
import {
  artifactRequest,
  checkArtifactUrl,
  displayUrl,
  isLinkLocal,
  pushFromUrlBodySchema,
} from './artifact-source.js';

const body = (url: string, headers?: Record<string, string>) => pushFromUrlBodySchema.parse({ url, headers });

describe('the source of a push from a URL', () => {
  it('shows a URL without user:pass@, query or fragment', () => {
    expect(displayUrl(new URL('https://bob:pw@files.example:8443/m/a.zip?X-Signature=abc#frag'))).toBe(
      'https://files.example:8443/m/a.zip',
    );
  });

  it('moves user:pass@ out of the URL into Basic credentials, unless an Authorization header is given', () => {
    const fromUrl = artifactRequest(body('https://b%40b:p%3Aw@files.example/a.zip'));
    expect(fromUrl.url.href).toBe('https://files.example/a.zip');
    expect(fromUrl.headers).toEqual({ authorization: `Basic ${Buffer.from('b@b:p:w').toString('base64')}` });

    const given = artifactRequest(body('https://bob:pw@files.example/a.zip', { Authorization: 'Bearer t' }));
    expect(given.url.href).toBe('https://files.example/a.zip');
    expect(given.headers).toEqual({ Authorization: 'Bearer t' });
  });

  it('knows link-local addresses, IPv4, IPv6 and IPv4-mapped', () => {
    expect(['169.254.169.254', '169.254.0.1', 'fe80::1', '::ffff:a9fe:a9fe'].map(isLinkLocal)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['127.0.0.1', '10.0.0.1', '::1', 'example.com'].map(isLinkLocal)).toEqual([false, false, false, false]);
  });

  it('matches MODFLEET_PUSH_URL_ALLOW by origin and path, so a look-alike host does not pass', () => {
    const allow = ['https://files.example', 'http://repo.example:8080/modules/'];
    const ok = (url: string) => {
      try {
        checkArtifactUrl(new URL(url), allow);
        return true;
      } catch {
        return false;
      }
    };
    expect(ok('https://files.example/any/a.zip')).toBe(true);
    expect(ok('https://files.example.evil.test/a.zip')).toBe(false);
    expect(ok('http://files.example/a.zip')).toBe(false);
    expect(ok('http://repo.example:8080/modules/a.zip')).toBe(true);
    expect(ok('http://repo.example:8080/other/a.zip')).toBe(false);
    expect(ok('http://repo.example/modules/a.zip')).toBe(false);
  });
});
