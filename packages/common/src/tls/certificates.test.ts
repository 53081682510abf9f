import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certificateStillFits,
  createCertificateRequest,
  createClusterCa,
  generateKeyPem,
  issueServerCertificate,
  signCertificateRequest,
} from './certificates.js';
import { nodeAddr } from './node-addr.js';

describe('cluster certificates', () => {
  it('signs a request for the names it carries, with a certificate the CA verifies', async () => {
    const ca = await createClusterCa();
    const key = await generateKeyPem();
    const cert = new X509Certificate(
      await signCertificateRequest(ca, await createCertificateRequest(key, ['127.0.0.2', 'node-1']), [
        '127.0.0.2',
        'node-1',
      ]),
    );

    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.2')).toBe('127.0.0.2');
    expect(cert.checkHost('node-1')).toBe('node-1');
    expect(cert.ca).toBe(false);
  });

  it('refuses a request whose signature does not match its content', async () => {
    const ca = await createClusterCa();
    const csr = await createCertificateRequest(await generateKeyPem(), ['127.0.0.2']);
    const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der.writeUInt8(der.readUInt8(der.length - 5) ^ 0xff, der.length - 5); // inside the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;

    await expect(signCertificateRequest(ca, tampered, ['127.0.0.2'])).rejects.toThrow();
  });

  it('refuses a request naming anything beyond the permitted names', async () => {
    const ca = await createClusterCa();
    const csr = await createCertificateRequest(await generateKeyPem(), ['10.0.0.7', '127.0.0.1', 'coordinator']);

    await expect(signCertificateRequest(ca, csr, ['10.0.0.7'])).rejects.toThrow(/127\.0\.0\.1, coordinator/);
  });

  it('keeps a certificate only while it is the CA’s, for this key, and names every address', async () => {
    const ca = await createClusterCa();
    const key = await generateKeyPem();
    const cert = await issueServerCertificate(ca, key, ['127.0.0.1', 'localhost']);

    expect(await certificateStillFits(cert, key, ca.certPem, ['127.0.0.1'])).toBe(true);
    expect(await certificateStillFits(cert, key, ca.certPem, ['127.0.0.5'])).toBe(false);
    expect(await certificateStillFits(cert, await generateKeyPem(), ca.certPem, ['127.0.0.1'])).toBe(false);
    expect(await certificateStillFits(cert, key, (await createClusterCa()).certPem, ['127.0.0.1'])).toBe(false);
  });
});

describe('a node’s addr', () => {
  it('is the bare address when the node serves HTTPS on the coordinator’s port, else the URL', () => {
    expect(nodeAddr('https://127.0.0.2:9443', 9443)).toBe('127.0.0.2');
    expect(nodeAddr('https://[::1]:9443', 9443)).toBe('::1');
    expect(nodeAddr('https://127.0.0.1:9444', 9443)).toBe('https://127.0.0.1:9444');
    expect(nodeAddr('http://127.0.0.2:9443', 9443)).toBe('http://127.0.0.2:9443');
    expect(nodeAddr('https://127.0.0.2:9443', undefined)).toBe('https://127.0.0.2:9443');
  });
});
