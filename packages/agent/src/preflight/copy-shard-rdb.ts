import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { findRedisServer } from '@modfleet/common';

/** redis-cli next to the node's redis-server (Debian ships both in one package), else on PATH. */
export async function findRedisCli(redisServer: string): Promise<string | undefined> {
  return (await findRedisServer(join(dirname(redisServer), 'redis-cli'))) ?? (await findRedisServer('redis-cli'));
}

/**
 * A fresh RDB of a running shard (or its replica), written to `file`: `redis-cli --rdb` asks it for a
 * replica's full sync (rdb-only, diskless on modfleet's shards), so the shard's own folder and
 * dbfilename are never written. Rejects with redis-cli's words, or when `timeoutMs` passes (then
 * redis-cli is killed and the shard drops the transfer).
 */
export function copyShardRdb(options: {
  redisCli: string;
  host: string;
  port: number;
  file: string;
  timeoutMs: number;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.redisCli, ['-h', options.host, '-p', String(options.port), '--rdb', options.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      if (output.length < 4096) output += chunk.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', err => {
      clearTimeout(timer);
      reject(new Error(`redis-cli could not start: ${err.message}`));
    });
    child.on('exit', code => {
      clearTimeout(timer);
      const said = output
        .split('\n')
        .map(line => line.trim())
        .filter(line => line && !/^sending REPLCONF|^SYNC sent to master/.test(line))
        .join('; ');
      if (timedOut) reject(new Error(`copying the shard's data did not finish within ${options.timeoutMs} ms`));
      else if (code === 0 && /Transfer finished with success/.test(output)) resolve();
      else reject(new Error(`copying the shard's data failed: ${said || `redis-cli exited with code ${code}`}`));
    });
  });
}
