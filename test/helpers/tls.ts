import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { basicAuth, type Credentials } from './http.js';
import { pollFor } from './poll.js';

export interface HttpsAnswer<T = unknown> {
  status: number;
  body: T;
  /** sha256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

/** A GET over node:https that trusts `ca` only and verifies (no fallback): rejects on a certificate it cannot verify. */
export function httpsGet<T = unknown>(
  url: string,
  options: { ca: string; credentials?: Credentials },
): Promise<HttpsAnswer<T>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.credentials) headers.authorization = basicAuth(options.credentials);
    const req = request(url, { ca: options.ca, headers, agent: false }, res => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, fingerprint });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `url` answers 200 over HTTPS verified with `ca`: an agent does once the CA has signed its certificate. */
export function waitVerifiedHttps(url: string, ca: string, timeoutMs = 20_000): Promise<HttpsAnswer> {
  return pollFor(
    () => httpsGet(url, { ca }),
    answer => answer.status === 200,
    `${url} answering over HTTPS verified with the cluster CA`,
    { timeoutMs, intervalMs: 100 },
  );
}

/** `curl --cacert <caFile> <url>`: its exit status (0: verified and answered) and the body. */
export function curlWithCa(url: string, caFile: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('curl', ['-sS', '--fail', '--max-time', '10', '--cacert', caFile, url], {
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Node's own fetch in a child process, trusting `caFile` through NODE_EXTRA_CA_CERTS (undefined: Node's CAs only). */
export function nodeFetchStatus(url: string, caFile: string | undefined): number | null {
  const script = `fetch(${JSON.stringify(url)}).then(r => process.exit(r.ok ? 0 : 3), e => { console.error(e.cause?.code ?? e.message); process.exit(4); })`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
  return spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 20_000 }).status;
}
