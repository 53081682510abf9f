import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renameDurable, writeFileDurable } from '../durable-fs.js';
import { createClusterCa, generateKeyPem, type PemPair } from './certificates.js';

/** Where a service keeps what it generated: `<data dir>/tls/{key,cert,ca,ca-key}.pem`. */
export const tlsDirOf = (dataDir: string) => join(dataDir, 'tls');

export const TLS_FILES = { key: 'key.pem', cert: 'cert.pem', ca: 'ca.pem', caKey: 'ca-key.pem' } as const;

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whole or not at all: a crash never leaves half a key. Private files are readable by their owner only. */
async function replaceFile(path: string, pem: string, mode = 0o644): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFileDurable(temp, pem, mode);
  await chmod(temp, mode); // the umask may have taken bits off a public file's mode
  await renameDurable(temp, path);
}

const writePrivate = (path: string, pem: string) => replaceFile(path, pem, 0o600);

/** The CA kept in `dir`, created there on the first call; `created` says which. */
export async function loadOrCreateCa(dir: string): Promise<{ ca: PemPair; certFile: string; created: boolean }> {
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, TLS_FILES.ca);
  const [certPem, keyPem] = await Promise.all([readIfThere(certFile), readIfThere(join(dir, TLS_FILES.caKey))]);
  if (certPem && keyPem) return { ca: { certPem, keyPem }, certFile, created: false };
  const ca = await createClusterCa();
  await writePrivate(join(dir, TLS_FILES.caKey), ca.keyPem);
  await replaceFile(certFile, ca.certPem);
  return { ca, certFile, created: true };
}

/** The service's private key kept in `dir`, generated on the first call. */
export async function loadOrCreateKey(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, TLS_FILES.key);
  const existing = await readIfThere(path);
  if (existing) return existing;
  const keyPem = await generateKeyPem();
  await writePrivate(path, keyPem);
  return keyPem;
}

export const readCertificate = (dir: string) => readIfThere(join(dir, TLS_FILES.cert));

export const writeCertificate = (dir: string, certPem: string) => replaceFile(join(dir, TLS_FILES.cert), certPem);

/** The CA certificate that signed this service's certificate, beside it (a local healthcheck verifies with it). */
export const writeCaCertificate = (dir: string, caPem: string) => replaceFile(join(dir, TLS_FILES.ca), caPem);

/** A CA given as files (MODFLEET_TLS_CA and MODFLEET_TLS_CA_KEY, or `modfleet up`'s). */
export async function readCaFiles(certFile: string, keyFile: string): Promise<PemPair> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certPem, keyPem };
}

/** Puts a CA (another holder's, adopted) where loadOrCreateCa finds it. */
export async function writeCaFiles(dir: string, ca: PemPair): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writePrivate(join(dir, TLS_FILES.caKey), ca.keyPem);
  await replaceFile(join(dir, TLS_FILES.ca), ca.certPem);
}
