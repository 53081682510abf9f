import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createRedisActionStore, redisKeys, routes, type ActionMeta } from '@modfleet/common';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { warnUnlessNoEviction } from '@modfleet/coordinator';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm } from '../helpers/http.js';
import { ADMIN, startTestCluster, type TestCluster } from '../helpers/in-process-cluster.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/redis.js';

interface ActionSummary {
  action_uid: string;
  additional_info: { object_uid: string };
}

function meta(uid: string): ActionMeta {
  return {
    action_uid: uid,
    name: 'install_module_artifact',
    creation_time: Math.floor(Date.now() / 1000),
    description: '',
    object_type: 'module_artifact',
    object_uid: uid,
  };
}

describe('GET /v2/actions', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('lists the newest actions first, even within one second, and honours ?limit', async () => {
    cluster = await startTestCluster({ nodes: 0 });
    const url = `${cluster.coordinator.url}${routes.fleetArtifacts}`;
    for (const version of [1, 2, 3]) {
      const zip = await buildArtifactZip({ manifest: { module_name: 'Ordered', version } });
      expect((await api(url, { method: 'POST', credentials: ADMIN, form: artifactForm(zip) })).status).toBe(202);
    }

    const all = await api<ActionSummary[]>(`${cluster.coordinator.url}${routes.actions}`, { credentials: ADMIN });
    const two = await api<ActionSummary[]>(`${cluster.coordinator.url}${routes.actions}?limit=2`, {
      credentials: ADMIN,
    });

    expect(all.body.map(action => action.additional_info.object_uid)).toEqual(['Ordered@3', 'Ordered@2', 'Ordered@1']);
    expect(two.body.map(action => action.additional_info.object_uid)).toEqual(['Ordered@3', 'Ordered@2']);
  });

  it.each(['0', '1001', 'abc', '-1'])('refuses ?limit=%s with 406 invalid_limit', async limit => {
    cluster ??= await startTestCluster({ nodes: 0 });

    const res = await api<{ error_code: string }>(`${cluster.coordinator.url}${routes.actions}?limit=${limit}`, {
      credentials: ADMIN,
    });

    expect(res.status).toBe(406);
    expect(res.body.error_code).toBe('invalid_limit');
  });
});

describe('action records retention', () => {
  const prefix = uniquePrefix();
  afterEach(async () => {
    await deletePrefix(prefix);
  });

  it('keeps the newest N and drops those older than the age limit', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const actions = createRedisActionStore(redis, redisKeys(prefix));
      const uids = Array.from({ length: 5 }, () => randomUUID());
      for (const uid of uids) {
        await actions.create(meta(uid), []);
        await sleep(3); // distinct millisecond scores
      }

      const droppedByCount = await actions.trim(3, 3_600_000);
      const kept = (await actions.list(10)).map(action => action.meta.action_uid);
      const droppedByAge = await actions.trim(3, 1, Date.now() + 10_000);

      expect(droppedByCount).toBe(2);
      expect(kept).toEqual(uids.slice(2).reverse());
      expect(droppedByAge).toBe(3);
      expect(await actions.list(10)).toEqual([]);
      expect(await redis.exists(...uids.map(uid => redisKeys(prefix).action(uid)))).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe('Redis eviction policy check', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    return { lines, logger: createLogger({ name: 'test', level: 'info' }, sink) };
  }

  it('warns loudly when Redis may evict keys', async () => {
    const { lines, logger } = capture();
    const redis = { config: () => Promise.resolve(['maxmemory-policy', 'allkeys-lru']) } as unknown as Redis;

    await warnUnlessNoEviction(redis, logger);

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, maxmemoryPolicy: 'allkeys-lru' });
    expect(String(lines[0]?.msg)).toContain('noeviction');
  });

  it('stays quiet when the policy is noeviction', async () => {
    const { lines, logger } = capture();
    const redis = { config: () => Promise.resolve(['maxmemory-policy', 'noeviction']) } as unknown as Redis;

    await warnUnlessNoEviction(redis, logger);

    expect(lines).toEqual([]);
  });
});
