import { readFile } from 'node:fs/promises';
import { caHolderTls, certificateNames, tlsDirOf, type Logger, type RedisKeys, type ServerTls } from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { CoordinatorConfig } from '../config.js';

export interface CoordinatorTls {
  serve: ServerTls;
  /** Signs agents' certificate requests; absent when the coordinator serves a configured certificate without the CA key. */
  sign: ((csrPem: string) => Promise<string>) | undefined;
  /** The cluster CA certificate (PEM), trusted for calls to peer coordinators; absent when none is configured. */
  caPem: string | undefined;
}

/**
 * What the coordinator serves HTTPS with: the configured certificate, or one it issues itself
 * with the cluster CA (given, or created in its data dir on the first start). The CA certificate
 * goes into Redis, where agents that do not share this filesystem learn it: they already trust
 * that Redis with the cluster secret and the whole CCS.
 */
export async function coordinatorTls(
  config: CoordinatorConfig,
  redis: Redis,
  keys: RedisKeys,
  logger: Logger,
): Promise<CoordinatorTls> {
  const caFiles = config.tlsCa && config.tlsCaKey ? { certFile: config.tlsCa, keyFile: config.tlsCaKey } : undefined;
  if (config.tls) {
    const caPem = config.tlsCa ? await readFile(config.tlsCa, 'utf8') : undefined;
    if (caPem) await publishCa(redis, keys, caPem, logger);
    const holder = caFiles && (await caHolderTls({ tlsDir: tlsDirOf(config.dataDir), names: [], caFiles }));
    return { serve: config.tls, sign: holder?.sign, caPem };
  }
  if (config.tlsCa && !config.tlsCaKey) {
    throw new Error(
      'MODFLEET_TLS_CA needs MODFLEET_TLS_CA_KEY (or MODFLEET_TLS_CERT and MODFLEET_TLS_KEY) on the coordinator',
    );
  }
  const holder = await caHolderTls({ tlsDir: tlsDirOf(config.dataDir), names: certificateNames(config.host), caFiles });
  if (holder.createdCa) logger.info({ ca_file: holder.caFile }, 'created the cluster CA');
  await publishCa(redis, keys, holder.ca.certPem, logger);
  return { serve: holder.cert, sign: holder.sign, caPem: holder.ca.certPem };
}

async function publishCa(redis: Redis, keys: RedisKeys, caPem: string, logger: Logger): Promise<void> {
  const previous = await redis.getset(keys.clusterCa, caPem);
  if (previous && previous !== caPem) {
    logger.warn('replaced another cluster CA in Redis: agents holding certificates of the old one ask for new ones');
  }
}
