import { certificateStillFits, issueServerCertificate, signCertificateRequest, type PemPair } from './certificates.js';
import { loadOrCreateCa, loadOrCreateKey, readCaFiles, readCertificate, writeCertificate } from './tls-files.js';

export interface CaHolderTls {
  /** What the service serves. */
  cert: PemPair;
  ca: PemPair;
  /** Where the CA certificate is, for people and for agents sharing this filesystem. */
  caFile: string;
  /** true when this start created the CA. */
  createdCa: boolean;
  /** Signs an agent's certificate request (PEM) with the CA, for `permitted` names only. */
  sign: (csrPem: string, permitted: readonly string[]) => Promise<string>;
  /** The names this service's own certificate is issued for. */
  names: readonly string[];
}

/**
 * TLS for the holder of the cluster CA's key: the CA given as files (MODFLEET_TLS_CA and
 * MODFLEET_TLS_CA_KEY, as `modfleet up` passes them) or else kept in `tlsDir`, created on the
 * first start; and its own key and certificate in `tlsDir`, reused while they still fit.
 */
export async function caHolderTls(options: {
  tlsDir: string;
  names: readonly string[];
  caFiles?: { certFile: string; keyFile: string } | undefined;
}): Promise<CaHolderTls> {
  const { tlsDir, names, caFiles } = options;
  const given = caFiles && { ca: await readCaFiles(caFiles.certFile, caFiles.keyFile), certFile: caFiles.certFile };
  const { ca, certFile, created } = given ? { ...given, created: false } : await loadOrCreateCa(tlsDir);
  const keyPem = await loadOrCreateKey(tlsDir);
  let certPem = await readCertificate(tlsDir);
  if (!certPem || !(await certificateStillFits(certPem, keyPem, ca.certPem, names))) {
    certPem = await issueServerCertificate(ca, keyPem, names);
    await writeCertificate(tlsDir, certPem);
  }
  return {
    cert: { certPem, keyPem },
    ca,
    caFile: certFile,
    createdCa: created,
    sign: (csrPem, permitted) => signCertificateRequest(ca, csrPem, permitted),
    names,
  };
}
