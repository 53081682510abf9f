import { describe, expect, it } from 'vitest';
import { parseBasicAuthorization } from './basic-credentials.js';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  it('reads the email and password of a Basic header', () => {
    const header = basic('admin@example.com:s3cret-pass');

    const credentials = parseBasicAuthorization(header);

    expect(credentials).toEqual({ email: 'admin@example.com', password: 's3cret-pass' });
  });

  it('keeps every colon after the first as part of the password', () => {
    const header = basic('admin@example.com:pa:ss:word:');

    const credentials = parseBasicAuthorization(header);

    expect(credentials).toEqual({ email: 'admin@example.com', password: 'pa:ss:word:' });
  });

  it('reads non-ASCII passwords as UTF-8', () => {
    const header = basic('admin@example.com:pässwörd-ß-密码');

    const credentials = parseBasicAuthorization(header);

    expect(credentials?.password).toBe('pässwörd-ß-密码');
  });

  it('accepts the scheme in any case and extra spaces around the token', () => {
    const token = Buffer.from('a@b.c:password1').toString('base64');

    const lower = parseBasicAuthorization(`basic ${token}`);
    const spaced = parseBasicAuthorization(`BASIC   ${token}  `);

    expect(lower).toEqual({ email: 'a@b.c', password: 'password1' });
    expect(spaced).toEqual({ email: 'a@b.c', password: 'password1' });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Bearer abc.def'],
    ['the scheme alone', 'Basic'],
    ['the scheme and a space', 'Basic '],
    ['characters outside base64', 'Basic !!!'],
    ['two tokens', `${basic('a@b.c:pw')} ${basic('d@e.f:pw')}`],
    ['no colon in the decoded text', basic('admin@example.com')],
    ['an empty email', basic(':password')],
    ['an empty decoded text', 'Basic ='],
  ])('returns undefined for %s', (_label, header) => {
    const credentials = parseBasicAuthorization(header);

    expect(credentials).toBeUndefined();
  });
});
