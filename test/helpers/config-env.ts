/** Every variable a service may read, by these exact names (docs/config.md). */
export const BASE_VARIABLES = [
  'REDIS_URL',
  'MODFLEET_HOST',
  'MODFLEET_PORT',
  'MODFLEET_DATA_DIR',
  'MODFLEET_PREFIX',
  'MODFLEET_COORDINATOR_URL',
  'MODFLEET_NODE_ID',
  'MODFLEET_ADMIN_EMAIL',
  'MODFLEET_ADMIN_PASSWORD',
  'MODFLEET_CLUSTER_SECRET',
  'MODFLEET_MAX_ARTIFACT_BYTES',
  'MODFLEET_TLS_CERT',
  'MODFLEET_TLS_KEY',
  'LOG_LEVEL',
] as const;

/** With the /metrics access rule (issue 4): every variable the README documents. */
export const SERVICE_VARIABLES: readonly string[] = [...BASE_VARIABLES, 'MODFLEET_METRICS_PUBLIC'];

export type Env = Record<string, string | undefined>;

/** An environment that records every variable name looked up in it. */
export function recordingEnv(values: Env = {}): { env: Env; read: Set<string> } {
  const read = new Set<string>();
  const env = new Proxy(values, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name) as unknown;
    },
  });
  return { env, read };
}
