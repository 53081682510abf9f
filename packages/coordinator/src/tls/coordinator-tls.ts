import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  caHolderTls,
  certificateNames,
  sealCa,
  tlsDirOf,
  TLS_FILES,
  unsealCa,
  writeCaFiles,
  type Logger,
  type RedisKeys,
  type ServerTls,
} from '@modfleet/common';
import type { Redis } from 'ioredis';
import type { CoordinatorConfig } from '../config.js';

export interface CoordinatorTls {
  serve: ServerTls;
  /** Signs agents' certificate requests; absent when the coordinator serves a configured certificate without the CA key. */
  sign: ((csrPem: string, permitted: readonly string[]) => Promise<string>) | undefined;
  /** The names the coordinator's certificate carries (empty for a configured one): never signed for a node. */
  names: readonly string[];
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
  clusterSecret: string,
): Promise<CoordinatorTls> {
  const caFiles = config.tlsCa && config.tlsCaKey ? { certFile: config.tlsCa, keyFile: config.tlsCaKey } : undefined;
  if (config.tls) {
    const caPem = config.tlsCa ? await readFile(config.tlsCa, 'utf8') : undefined;
    if (caPem) await publishCa(redis, keys, caPem, logger);
    const holder = caFiles && (await caHolderTls({ tlsDir: tlsDirOf(config.dataDir), names: [], caFiles }));
    return { serve: config.tls, sign: holder?.sign, caPem, names: certificateNames(config.host) };
  }
  if (config.tlsCa && !config.tlsCaKey) {
    throw new Error(
      'MODFLEET_TLS_CA needs MODFLEET_TLS_CA_KEY (or MODFLEET_TLS_CERT and MODFLEET_TLS_KEY) on the coordinator',
    );
  }
  const tlsDir = tlsDirOf(config.dataDir);
  const holderOptions = { tlsDir, names: certificateNames(config.host), caFiles };
  if (!caFiles) await adoptSharedCa(redis, keys, tlsDir, clusterSecret, logger);
  let holder = await caHolderTls(holderOptions);
  if (!caFiles) {
    // Two coordinators started at once both create a CA: the first to share it wins, the other adopts it.
    const won = await redis.set(keys.clusterCaSealed, sealCa(holder.ca, clusterSecret), 'NX');
    if (!won && holder.createdCa && (await adoptSharedCa(redis, keys, tlsDir, clusterSecret, logger, true))) {
      holder = await caHolderTls(holderOptions);
    }
  }
  if (holder.createdCa) logger.info({ ca_file: holder.caFile }, 'created the cluster CA');
  await publishCa(redis, keys, holder.ca.certPem, logger);
  return { serve: holder.cert, sign: holder.sign, caPem: holder.ca.certPem, names: holder.names };
}

async function publishCa(redis: Redis, keys: RedisKeys, caPem: string, logger: Logger): Promise<void> {
  const previous = await redis.getset(keys.clusterCa, caPem);
  if (previous && previous !== caPem) {
    logger.warn('replaced another cluster CA in Redis: agents holding certificates of the old one ask for new ones');
  }
}

/**
 * Another coordinator of this cluster already holds a CA (sealed in Redis with the cluster
 * secret): this one signs with the same CA, so agents trust every coordinator. A CA of its own
 * already in its data dir is kept unless `replace` (it was created a moment ago and lost the race).
 */
async function adoptSharedCa(
  redis: Redis,
  keys: RedisKeys,
  tlsDir: string,
  clusterSecret: string,
  logger: Logger,
  replace = false,
): Promise<boolean> {
  if (
    !replace &&
    (await access(join(tlsDir, TLS_FILES.ca)).then(
      () => true,
      () => false,
    ))
  )
    return false;
  const sealed = await redis.get(keys.clusterCaSealed);
  if (!sealed) return false;
  const ca = unsealCa(sealed, clusterSecret);
  if (!ca) {
    logger.warn('the cluster CA in Redis does not open with this cluster secret: creating another one');
    return false;
  }
  await writeCaFiles(tlsDir, ca);
  logger.info('adopted the cluster CA another coordinator of this cluster created');
  return true;
}
