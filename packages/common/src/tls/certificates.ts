import 'reflect-metadata'; // @peculiar/x509 (through tsyringe) needs the Reflect polyfill loaded first
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60_000;
const CA_DAYS = 3650;
const SERVER_DAYS = 825;
/** A certificate this close to its end is issued anew at the next start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

const pemOf = (der: ArrayBuffer, label: string) => `${x509.PemConverter.encode(der, label)}\n`;

/** A fresh P-256 private key, PEM (PKCS#8). */
export async function generateKeyPem(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  return pemOf(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

async function importKeys(keyPem: string): Promise<CryptoKeyPair> {
  const privateDer = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const publicDer = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', privateDer, KEY_ALGORITHM, true, ['sign']),
    webcrypto.subtle.importKey('spki', publicDer, KEY_ALGORITHM, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}

const subjectAltNames = (names: readonly string[]) =>
  new x509.SubjectAlternativeNameExtension(names.map(value => ({ type: isIP(value) ? 'ip' : 'dns', value })));

const serverExtensions = async (publicKey: CryptoKey | x509.PublicKey, names: readonly string[]) => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
  subjectAltNames(names),
  await x509.SubjectKeyIdentifierExtension.create(publicKey),
];

const until = (days: number) => new Date(Date.now() + days * DAY_MS);
// A minute back: a peer whose clock is slightly behind still accepts a certificate issued just now.
const notBefore = () => new Date(Date.now() - 60_000);

/** A new cluster CA: a self-signed certificate that may only sign server certificates. */
export async function createClusterCa(commonName = 'modfleet cluster CA'): Promise<PemPair> {
  const keyPem = await generateKeyPem();
  const keys = await importKeys(keyPem);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    notBefore: notBefore(),
    notAfter: until(CA_DAYS),
    signingAlgorithm: KEY_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

async function issue(ca: PemPair, publicKey: CryptoKey | x509.PublicKey, names: readonly string[]): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeys = await importKeys(ca.keyPem);
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${names[0] ?? 'modfleet'}`,
    issuer: caCert.subject,
    notBefore: notBefore(),
    notAfter: until(SERVER_DAYS),
    signingAlgorithm: KEY_ALGORITHM,
    publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      ...(await serverExtensions(publicKey, names)),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** A server certificate for `keyPem`, valid for `names` (host names and IP addresses), signed by `ca`. */
export async function issueServerCertificate(ca: PemPair, keyPem: string, names: readonly string[]): Promise<string> {
  return issue(ca, (await importKeys(keyPem)).publicKey, names);
}

/** A certificate request for `keyPem` and `names`: what an agent sends to the holder of the CA key. */
export async function createCertificateRequest(keyPem: string, names: readonly string[]): Promise<string> {
  const keys = await importKeys(keyPem);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${names[0] ?? 'modfleet'}`,
    keys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [subjectAltNames(names)],
  });
  return csr.toString('pem') + '\n';
}

/**
 * Signs a request the requester proved it holds the key of, for names among `permitted` only;
 * throws on a request that does not parse or verify, or that names anything else.
 */
export async function signCertificateRequest(
  ca: PemPair,
  csrPem: string,
  permitted: readonly string[],
): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('the certificate request is not signed by its own key');
  const san = csr.extensions.find(extension => extension instanceof x509.SubjectAlternativeNameExtension);
  const names = san?.names.items.map(name => name.value) ?? [];
  if (names.length === 0) throw new Error('the certificate request names no host');
  const allowed = new Set(permitted.map(name => name.toLowerCase()));
  const foreign = names.filter(name => !allowed.has(name.toLowerCase()));
  if (foreign.length > 0) {
    throw new Error(
      `the certificate request names ${foreign.join(', ')}: this node may only name ${permitted.join(', ')}`,
    );
  }
  return issue(ca, csr.publicKey, names);
}

/** A certificate for `keyPem` signed by that same key: what an agent serves until the CA has signed one. */
export async function selfSignedCertificate(keyPem: string, names: readonly string[]): Promise<string> {
  const keys = await importKeys(keyPem);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${names[0] ?? 'modfleet'}`,
    notBefore: notBefore(),
    notAfter: until(SERVER_DAYS),
    signingAlgorithm: KEY_ALGORITHM,
    keys,
    extensions: await serverExtensions(keys.publicKey, names),
  });
  return cert.toString('pem') + '\n';
}

/**
 * Whether `certPem` can be served as it is: signed by `caPem`, for the key `keyPem`, valid for a
 * while longer, and naming every one of `names`.
 */
export async function certificateStillFits(
  certPem: string,
  keyPem: string,
  caPem: string,
  names: readonly string[],
): Promise<boolean> {
  try {
    const cert = new x509.X509Certificate(certPem);
    const ca = new x509.X509Certificate(caPem);
    if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return false;
    if (cert.notAfter.getTime() - Date.now() < RENEW_BEFORE_MS) return false;
    const ownKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
    if (!Buffer.from(cert.publicKey.rawData).equals(ownKey)) return false;
    const held = new Set(cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map(n => n.value));
    return names.every(name => held.has(name));
  } catch {
    return false;
  }
}
