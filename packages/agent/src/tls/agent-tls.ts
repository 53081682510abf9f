import { readFile } from 'node:fs/promises';
import {
  caHolderTls,
  certificateNames,
  certificateStillFits,
  createCertificateRequest,
  DEFAULT_TIMINGS,
  loadOrCreateKey,
  readCertificate,
  selfSignedCertificate,
  tlsDirOf,
  writeCaCertificate,
  writeCertificate,
  type Logger,
  type RedisKeys,
  type ServerTls,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { AgentConfig } from '../config.js';
import { advertisedHost } from '../fleet/advertised-addr.js';

export interface AgentTls {
  /** What the agent serves from its start on. */
  serve: ServerTls;
  /**
   * The CA to verify the coordinator and peers with (undefined: Node's default CAs, for a
   * configured certificate without MODFLEET_TLS_CA). Waits for the coordinator to publish the
   * cluster CA in Redis when it is not there yet; undefined too once `stop` is called.
   */
  clusterCa(): Promise<string | undefined>;
  /** A request for the coordinator to sign, while the served certificate is not one `caPem` signed. */
  certificateRequest(caPem: string | undefined): Promise<string | undefined>;
  /** Keeps a certificate the coordinator signed, when it fits this agent's key and the CA: what to serve now. */
  accept(certPem: string, caPem: string | undefined): Promise<{ certPem: string; keyPem: string } | undefined>;
  stop(): void;
}

/**
 * An agent's TLS: the configured certificate; else, standalone, one from a CA of its own; else
 * (in a cluster) its key in the data dir and the certificate the coordinator signed for it, reused
 * on restart. Until the coordinator has signed one, it serves a self-signed certificate for that
 * key and sends a certificate request with its registration.
 */
export async function agentTls(
  config: AgentConfig,
  redis: Redis,
  keys: RedisKeys,
  logger: Logger,
  caPollMs = DEFAULT_TIMINGS.caPollMs,
): Promise<AgentTls> {
  const names = certificateNames(config.host);
  const tlsDir = tlsDirOf(config.dataDir);
  const givenCa = config.tlsCa ? await readFile(config.tlsCa, 'utf8') : undefined;
  let stopped = false;
  let wake = () => undefined as void;
  const stop = () => {
    stopped = true;
    wake();
  };
  if (config.tls || !config.coordinatorUrl) {
    const serve = config.tls ?? (await caHolderTls({ tlsDir, names })).cert;
    return {
      serve,
      clusterCa: () => Promise.resolve(givenCa),
      certificateRequest: () => Promise.resolve(undefined),
      accept: () => Promise.resolve(undefined),
      stop,
    };
  }
  const keyPem = await loadOrCreateKey(tlsDir);
  const kept = await readCertificate(tlsDir);
  // The cluster CA signs only the host this node advertises to the coordinator.
  const signedNames = [advertisedHost(config.host)];
  const fits = async (certPem: string | undefined, caPem: string | undefined) =>
    certPem !== undefined && caPem !== undefined && (await certificateStillFits(certPem, keyPem, caPem, signedNames));

  async function clusterCa(): Promise<string | undefined> {
    if (givenCa) return givenCa;
    for (let attempt = 0; !stopped; attempt += 1) {
      const published = await redis.get(keys.clusterCa).catch(() => null);
      if (published) return published;
      if (attempt === 0) logger.info('waiting for the coordinator to publish the cluster CA in Redis');
      await new Promise<void>(resolve => {
        wake = resolve;
        setTimeout(resolve, caPollMs).unref();
      });
    }
    return undefined;
  }

  let served = kept;
  return {
    serve: { certPem: kept ?? (await selfSignedCertificate(keyPem, names)), keyPem },
    clusterCa,
    async certificateRequest(caPem) {
      return (await fits(served, caPem)) ? undefined : createCertificateRequest(keyPem, signedNames);
    },
    async accept(certPem, caPem) {
      if (!(await fits(certPem, caPem))) {
        logger.error('the coordinator answered a certificate the cluster CA did not sign for this key: not served');
        return undefined;
      }
      await writeCertificate(tlsDir, certPem);
      if (caPem) await writeCaCertificate(tlsDir, caPem);
      served = certPem;
      logger.info('serving the certificate the cluster CA signed');
      return { certPem, keyPem };
    },
    stop,
  };
}
