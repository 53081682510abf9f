import type { Command } from 'commander';

/** Every service option: its flag and the environment variable it stands for (DESIGN §4). */
export const SERVICE_OPTIONS = [
  { flag: '--redis-url <url>', env: 'REDIS_URL', help: 'Redis URL (default redis://127.0.0.1:6379)' },
  { flag: '--host <address>', env: 'MODFLEET_HOST', help: 'address to listen on (default 127.0.0.1)' },
  { flag: '--port <port>', env: 'MODFLEET_PORT', help: 'port to listen on (coordinator 9443, agent 9444)' },
  { flag: '--data-dir <path>', env: 'MODFLEET_DATA_DIR', help: 'where artifacts are kept' },
  { flag: '--prefix <prefix>', env: 'MODFLEET_PREFIX', help: 'Redis key and queue prefix (default modfleet)' },
  { flag: '--coordinator-url <url>', env: 'MODFLEET_COORDINATOR_URL', help: "the coordinator's base URL (agent)" },
  { flag: '--node-id <uid>', env: 'MODFLEET_NODE_ID', help: 'node uid this agent claims (agent)' },
  {
    flag: '--admin-email <email>',
    env: 'MODFLEET_ADMIN_EMAIL',
    help: 'email of the admin created on first start (coordinator)',
  },
  {
    flag: '--admin-password <password>',
    env: 'MODFLEET_ADMIN_PASSWORD',
    help: 'password of that admin; prefer the variable over the flag',
  },
  {
    flag: '--cluster-secret <secret>',
    env: 'MODFLEET_CLUSTER_SECRET',
    help: 'secret shared by coordinator and agents',
  },
  {
    flag: '--max-artifact-bytes <bytes>',
    env: 'MODFLEET_MAX_ARTIFACT_BYTES',
    help: 'largest artifact accepted (default 1 GiB)',
  },
  { flag: '--tls-cert <file>', env: 'MODFLEET_TLS_CERT', help: 'PEM certificate: serve HTTPS' },
  { flag: '--tls-key <file>', env: 'MODFLEET_TLS_KEY', help: 'PEM private key for --tls-cert' },
  {
    flag: '--metrics-public <bool>',
    env: 'MODFLEET_METRICS_PUBLIC',
    help: 'serve /metrics without auth when not on loopback (default false)',
  },
  {
    flag: '--redis-server <path>',
    env: 'MODFLEET_REDIS_SERVER',
    help: 'redis-server for module load checks, a path or a name on PATH (agent; default redis-server)',
  },
  { flag: '--log-level <level>', env: 'LOG_LEVEL', help: 'fatal|error|warn|info|debug|trace|silent (default info)' },
] as const;

export function addServiceOptions(command: Command, envNames: readonly string[]): Command {
  for (const option of SERVICE_OPTIONS) {
    if (envNames.includes(option.env)) command.option(option.flag, `${option.help} [$${option.env}]`);
  }
  return command;
}

/** Flags win over the environment: the merged environment is what config loading sees. */
export function envWithFlags(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...env };
  for (const option of SERVICE_OPTIONS) {
    const key = attributeName(option.flag);
    const value = flags[key];
    if (typeof value === 'string' || typeof value === 'number') merged[option.env] = String(value);
  }
  return merged;
}

function attributeName(flag: string): string {
  const long = flag.split(' ')[0]!.replace(/^--/, '');
  return long.replace(/-([a-z])/g, (_m, letter: string) => letter.toUpperCase());
}
