// What `modfleet load` needs only once it runs (the HTTP client, Redis, the load loop, chaos):
// load-command.ts imports this module from its action, so registering the command loads none of it.
export { createApiClient } from '../client/api-client.js';
export { Chaos } from './chaos.js';
export { resolveLoadDatabases } from './db-ops.js';
export { runLoadSession } from './load-session.js';
export { shardVictims } from './shard-victim.js';
