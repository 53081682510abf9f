import { describe, expect, it } from 'vitest';
import { sealCa, unsealCa } from './sealed-ca.js';

const ca = { certPem: '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n', keyPem: 'secret key pem' };

describe('a sealed cluster CA', () => {
  it('opens with the cluster secret it was sealed with', () => {
    expect(unsealCa(sealCa(ca, 'cluster-secret-0123456789'), 'cluster-secret-0123456789')).toEqual(ca);
  });

  it('does not carry the key in the clear', () => {
    expect(sealCa(ca, 'cluster-secret-0123456789')).not.toContain('secret key pem');
  });

  it('stays closed to another secret and to tampered bytes', () => {
    const sealed = sealCa(ca, 'cluster-secret-0123456789');
    expect(unsealCa(sealed, 'another-secret-0123456789')).toBeUndefined();
    const parts = sealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64');
    expect(unsealCa(parts.join('.'), 'cluster-secret-0123456789')).toBeUndefined();
    expect(unsealCa('garbage', 'cluster-secret-0123456789')).toBeUndefined();
  });
});
