import { RuleTester } from 'eslint';
import { describe, it } from 'vitest';
import { noHandBuiltRedisKeys } from './no-hand-built-redis-keys.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

new RuleTester().run('no-hand-built-redis-keys', noHandBuiltRedisKeys, {
  valid: [
    'redis.hlen(keys.fleetNodeOps)',
    'new QueueKeys(keys.queuePrefix).toKey(queue, "wait")',
    // Colons after other values are not keys.
    'const auth = `${email}:${password}`',
    'const line = `${name}: ${message}`',
    'const url = `http://${host}:${port}`',
    // A prefix followed by something else than a colon.
    'const label = `${prefix}-bench`',
  ],
  invalid: [
    { code: 'redis.hlen(`${prefix}:fleet:node-ops`)', errors: [{ messageId: 'handBuilt' }] },
    { code: 'const key = `${keys.queuePrefix}:${queue}:${jobId}`', errors: [{ messageId: 'handBuilt' }] },
    { code: 'const key = `${fleet.prefix}:fleet:artifacts`', errors: [{ messageId: 'handBuilt' }] },
    { code: 'const key = `bench-${id}:${keyPrefix}:list`', errors: [{ messageId: 'handBuilt' }] },
    { code: "const key = prefix + ':nodes'", errors: [{ messageId: 'handBuilt' }] },
  ],
});
