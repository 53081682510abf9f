import { ConfigError, type LogLevel, type TimingOverrides } from '@modfleet/common';

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

/** The ConfigError `load` throws; fails the test when it throws something else or nothing. */
export function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** The config fields both services have plus `Own`, as each config test expects them to be typed. */
export type ExpectedConfig<Own> = { [Key in keyof (SharedConfigFields & Own)]: (SharedConfigFields & Own)[Key] };

type SharedConfigFields = {
  redisUrl: string;
  redisSentinels: { host: string; port: number }[] | undefined;
  redisSentinelMaster: string | undefined;
  redisSentinelPassword: string | undefined;
  redisClusterNodes: { host: string; port: number }[] | undefined;
  host: string;
  port: number;
  httpPort: number | undefined;
  dataDir: string;
  prefix: string;
  clusterSecret: string | undefined;
  maxArtifactBytes: number;
  metricsPublic: boolean;
  logLevel: LogLevel;
  tls: { certFile: string; keyFile: string } | undefined;
  tlsCa: string | undefined;
  testTimings: TimingOverrides | undefined;
};
