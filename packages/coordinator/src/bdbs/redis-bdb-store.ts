import {
  ConflictError,
  defineRedisCommands,
  NotAcceptableError,
  type RedisKeys,
  type ShardPlan,
  type ShardReport,
  type StateMachineObject,
} from '@modfleet/common';
import type { Redis, Result } from 'ioredis';
import {
  pickedPortCount,
  portsExhausted,
  portsOf,
  withPickedPorts,
  type BdbRecord,
  type BdbStore,
} from './bdb-store.js';

/**
 * KEYS: bdbs, ports, machines, then each shard's node plan hash. ARGV: uid, record, action uid,
 * machine, the free port ranges (`low-high low-high`), how many ports to pick, then per shard:
 * shard uid, plan, port (-n: the n-th picked). Picking inside the script is what lets concurrent
 * creates each get their own first free ports; `"port":-n` in the JSON becomes the picked port.
 */
const CREATE_BDB = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'uid_exists' end
local shards = #KEYS - 3
local wanted = {}
for i = 1, shards do
  local port = tonumber(ARGV[6 + 3 * i])
  if port > 0 then
    if redis.call('HEXISTS', KEYS[2], port) == 1 then return 'port_unavailable:' .. port end
    wanted[port] = true
  end
end
local picked = {}
local count = tonumber(ARGV[6])
if count > 0 then
  local held = {}
  for _, port in ipairs(redis.call('HKEYS', KEYS[2])) do held[tonumber(port)] = true end
  for low, high in string.gmatch(ARGV[5], '(%d+)-(%d+)') do
    for port = tonumber(low), tonumber(high) do
      if #picked == count then break end
      if not held[port] and not wanted[port] then picked[#picked + 1] = port end
    end
  end
  if #picked < count then return 'ports_exhausted' end
end
local function real(json)
  return (string.gsub(json, '"port":%-(%d+)', function(n) return '"port":' .. picked[tonumber(n)] end))
end
for i = 1, shards do
  local port = tonumber(ARGV[6 + 3 * i])
  if port < 0 then port = picked[-port] end
  redis.call('HSET', KEYS[2], port, ARGV[1])
  redis.call('HSET', KEYS[3 + i], ARGV[4 + 3 * i], real(ARGV[5 + 3 * i]))
end
redis.call('HSET', KEYS[1], ARGV[1], real(ARGV[2]))
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
return 'ok:' .. table.concat(picked, ',')`;

/** Keeps the uid counter ahead of a uid a request chose itself. */
const CLAIM_UID = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

/** Saves only a record that still exists: a late status change must not bring a deleted bdb back. */
const SAVE_IF_PRESENT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

/** KEYS: bdbs, machines, the action's abandoned-change key. ARGV: uid, record, action uid, machine. */
const BEGIN_CHANGE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or cjson.decode(stored).status ~= 'active' then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
return 1`;

/** KEYS: bdbs, then each shard's node plan hash. ARGV: uid, record, action uid, then per shard: shard uid, plan. */
const REPLAN_CHANGE = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or ARGV[3] == '' or cjson.decode(stored).action_uid ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 2, #KEYS do redis.call('HSET', KEYS[i], ARGV[2 * i], ARGV[2 * i + 1]) end
return 1`;

/** KEYS: machines, the action's abandoned-change key. ARGV: action uid, seconds to keep the mark. */
const ABANDON_CHANGE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return 1`;

/** Long past any route that queued a job and has still to begin it. */
const ABANDONED_MARK_SECONDS = 24 * 3600;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** `ok:<picked ports>`, `uid_exists`, `port_unavailable:<port>` or `ports_exhausted`. */
    createBdbRecord(numberOfKeys: number, ...keysThenArgs: string[]): Result<string, Context>;
    claimBdbUid(uidSeq: string, uid: string): Result<number, Context>;
    saveBdbIfPresent(bdbs: string, uid: string, json: string): Result<number, Context>;
    /** 1: the bdb was active and now carries the change; 0: it is gone or not active, or the machine exists. */
    beginBdbChange(
      bdbs: string,
      machines: string,
      abandoned: string,
      uid: string,
      json: string,
      actionUid: string,
      machine: string,
    ): Result<number, Context>;
    /** 1: the change is marked given up; 0: its machine is stored (it began). */
    abandonBdbChange(machines: string, abandoned: string, actionUid: string, seconds: string): Result<number, Context>;
    /** 1: the record and plans written; 0: the bdb is gone or no longer carries the change. */
    replanBdbChange(numberOfKeys: number, ...keysThenArgs: string[]): Result<number, Context>;
  }
}

const parse = <T>(json: string) => JSON.parse(json) as T;

export function createRedisBdbStore(redis: Redis, keys: RedisKeys): BdbStore {
  defineRedisCommands(redis, {
    createBdbRecord: { lua: CREATE_BDB },
    claimBdbUid: { numberOfKeys: 1, lua: CLAIM_UID },
    saveBdbIfPresent: { numberOfKeys: 1, lua: SAVE_IF_PRESENT },
    beginBdbChange: { numberOfKeys: 3, lua: BEGIN_CHANGE },
    abandonBdbChange: { numberOfKeys: 2, lua: ABANDON_CHANGE },
    replanBdbChange: { lua: REPLAN_CHANGE },
  });
  const nudge = (nodeUids: Iterable<number>) =>
    Promise.all([...new Set(nodeUids)].map(node => redis.publish(keys.nodeShardsChanged(node), '1')));

  return {
    async nextUid() {
      for (;;) {
        const uid = await redis.incr(keys.bdbUidSeq);
        if (!(await redis.hexists(keys.bdbs, String(uid)))) return uid;
      }
    },
    async claimUid(uid) {
      await redis.claimBdbUid(keys.bdbUidSeq, String(uid));
    },
    async nextShardUids(count) {
      const last = await redis.incrby(keys.shardUidSeq, count);
      return Array.from({ length: count }, (_, i) => last - count + 1 + i);
    },
    async create(record, machine, freePorts = []) {
      const bdbKeys = [
        keys.bdbs,
        keys.bdbPorts,
        keys.bdbStateMachines,
        ...record.placement.map(s => keys.nodeShards(s.node_uid)),
      ];
      const outcome = await redis.createBdbRecord(
        bdbKeys.length,
        ...bdbKeys,
        String(record.uid),
        JSON.stringify(record),
        machine.action_uid,
        JSON.stringify(machine),
        freePorts.map(([low, high]) => `${low}-${high}`).join(' '),
        String(pickedPortCount(record)),
        ...record.placement.flatMap(s => [String(s.plan.shard_uid), JSON.stringify(s.plan), String(s.plan.port)]),
      );
      if (outcome === 'uid_exists') throw new ConflictError('uid_exists', `Database uid ${record.uid} already exists`);
      if (outcome === 'ports_exhausted') throw portsExhausted();
      if (outcome.startsWith('port_unavailable:')) {
        throw new NotAcceptableError(
          'port_unavailable',
          `Port ${outcome.slice(17)} is already used by another database`,
        );
      }
      await nudge(record.placement.map(s => s.node_uid));
      const picked = outcome.slice(3).split(',').filter(Boolean).map(Number);
      return withPickedPorts(record, picked);
    },
    async list() {
      return (await redis.hvals(keys.bdbs)).map(json => parse<BdbRecord>(json)).sort((a, b) => a.uid - b.uid);
    },
    async get(uid) {
      const json = await redis.hget(keys.bdbs, String(uid));
      return json ? parse<BdbRecord>(json) : undefined;
    },
    async save(record) {
      await redis.saveBdbIfPresent(keys.bdbs, String(record.uid), JSON.stringify(record));
    },
    async usedPorts() {
      return new Set((await redis.hkeys(keys.bdbPorts)).map(Number));
    },
    async reports(shardUids) {
      const found = new Map<number, ShardReport>();
      if (shardUids.length === 0) return found;
      const values = await redis.hmget(keys.shardReports, ...shardUids.map(String));
      values.forEach((json, i) => {
        if (json) found.set(shardUids[i]!, parse<ShardReport>(json));
      });
      return found;
    },
    async plans(nodeUid) {
      const all = await redis.hgetall(keys.nodeShards(nodeUid));
      return new Map(Object.entries(all).map(([uid, json]) => [Number(uid), parse<ShardPlan>(json)]));
    },
    async withdraw(record, machine) {
      const tx = redis.multi();
      tx.hset(keys.bdbs, String(record.uid), JSON.stringify(record));
      if (machine) tx.hset(keys.bdbStateMachines, machine.action_uid, JSON.stringify(machine));
      for (const { node_uid, plan } of record.placement) tx.hdel(keys.nodeShards(node_uid), String(plan.shard_uid));
      await tx.exec();
      await nudge(record.placement.map(s => s.node_uid));
    },
    async remove(record) {
      const tx = redis.multi();
      tx.hdel(keys.bdbs, String(record.uid));
      if (record.action_uid) tx.hdel(keys.bdbStateMachines, record.action_uid);
      for (const port of portsOf(record)) {
        tx.eval(
          "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end",
          1,
          keys.bdbPorts,
          String(port),
          String(record.uid),
        );
      }
      if (record.placement.length > 0)
        tx.hdel(keys.shardReports, ...record.placement.map(s => String(s.plan.shard_uid)));
      await tx.exec();
    },
    async beginChange(record, machine) {
      const begun = await redis.beginBdbChange(
        keys.bdbs,
        keys.bdbStateMachines,
        keys.bdbAbandonedChange(machine.action_uid),
        String(record.uid),
        JSON.stringify(record),
        machine.action_uid,
        JSON.stringify(machine),
      );
      return begun === 1;
    },
    async replan(record) {
      const planKeys = [keys.bdbs, ...record.placement.map(s => keys.nodeShards(s.node_uid))];
      const written = await redis.replanBdbChange(
        planKeys.length,
        ...planKeys,
        String(record.uid),
        JSON.stringify(record),
        record.action_uid ?? '',
        ...record.placement.flatMap(s => [String(s.plan.shard_uid), JSON.stringify(s.plan)]),
      );
      if (written !== 1) return false;
      await nudge(record.placement.map(s => s.node_uid));
      return true;
    },
    async stateMachines() {
      return (await redis.hvals(keys.bdbStateMachines))
        .map(json => parse<StateMachineObject>(json))
        .sort((a, b) => a.creation_time - b.creation_time);
    },
    async stateMachine(actionUid) {
      const json = await redis.hget(keys.bdbStateMachines, actionUid);
      return json ? parse<StateMachineObject>(json) : undefined;
    },
    async saveStateMachine(machine) {
      await redis.hset(keys.bdbStateMachines, machine.action_uid, JSON.stringify(machine));
    },
    async abandonChange(actionUid) {
      const marked = await redis.abandonBdbChange(
        keys.bdbStateMachines,
        keys.bdbAbandonedChange(actionUid),
        actionUid,
        String(ABANDONED_MARK_SECONDS),
      );
      return marked === 1;
    },
  };
}
