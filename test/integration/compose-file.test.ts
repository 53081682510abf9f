/**
 * The docker-compose file's structure against the code it runs: the CLI's commands and options, the
 * coordinator/agent config loaders, the Dockerfile and .env.example. When a compose binary is on
 * PATH it also asks it to validate the file, the `ha` profile included. The default services are
 * also run for real, in CI, by .ci/compose/run.sh, and so is the `ha` profile (with a failover).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig } from '@modfleet/agent';
import { loadCoordinatorConfig } from '@modfleet/coordinator';
import { ENV_VARIABLES } from '@modfleet/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/modfleet.js');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

type Env = Record<string, string | undefined>;

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  ports?: (string | number)[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
  profiles?: string[];
  hostname?: string;
  networks?: Record<string, { ipv4_address?: string } | null>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { ipam?: { config?: { subnet?: string; ip_range?: string }[] } }>;
  [extension: `x-${string}`]: unknown;
}

const composeText = read('docker-compose.yml');
// `merge: true`: the agents are `<<: *agent` merges of the x-agent extension field, as Compose reads them.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const services = compose.services;
const AGENTS = ['agent-1', 'agent-2', 'agent-3'];
const ALL_AGENTS = [...AGENTS, 'agent-4'];
const COORDINATORS = ['coordinator', 'coordinator-2'];
const MODFLEET_SERVICES = [...COORDINATORS, ...ALL_AGENTS];
const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
const HA_SERVICES = ['redis-replica', ...SENTINELS, 'coordinator-2'];
/** The variables the `ha` profile needs set in .env (Sentinel support and the coordinator list, issue 12). */
const HA_VARIABLES = ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER', 'MODFLEET_COORDINATOR_URL'];

const service = (name: string): ComposeService => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

function environmentOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map(entry => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value === null ? '' : String(value)]));
}

function commandOf(svc: ComposeService): string[] {
  const command = svc.command ?? [];
  return typeof command === 'string' ? command.trim().split(/\s+/) : command;
}

function dependsOn(svc: ComposeService): Record<string, string | undefined> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map(name => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
}

/** Volume mounts as { source, target }: short syntax `source:target[:mode]` or the long syntax. */
function mountsOf(svc: ComposeService): { source: string; target: string }[] {
  return (svc.volumes ?? []).map(volume => {
    if (typeof volume === 'string') {
      const [source = '', target = ''] = volume.split(':');
      return { source, target };
    }
    return { source: volume.source ?? '', target: volume.target ?? '' };
  });
}

const isNamedVolume = (source: string) => source !== '' && !/^[./~]/.test(source);

/** `[host_ip:]host_port:container_port[/proto]` → its parts (short syntax only, which this file uses). */
function portsOf(svc: ComposeService): { hostIp: string | undefined; host: number; container: number }[] {
  return (svc.ports ?? []).map(port => {
    const parts = String(port)
      .replace(/\/\w+$/, '')
      .split(':');
    if (parts.length === 3) return { hostIp: parts[0], host: Number(parts[1]), container: Number(parts[2]) };
    if (parts.length === 2) return { hostIp: undefined, host: Number(parts[0]), container: Number(parts[1]) };
    throw new Error(`unexpected port ${String(port)}`);
  });
}

/** Every string (keys included) in the parsed file: where Compose interpolates `${VAR}` (never comments). */
function allStrings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(allStrings);
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

const interpolatedVariables = (): Set<string> =>
  new Set(
    allStrings(compose).flatMap(text =>
      [...text.matchAll(/(?<!\$)\$(?:\{([A-Za-z_]\w*)|([A-Za-z_]\w*))/g)].map(m => (m[1] ?? m[2])!),
    ),
  );

/** Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
function interpolate(text: string, vars: Env): string {
  return text.replace(
    /(?<!\$)\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}/g,
    (_match, name: string, op: string | undefined, arg: string | undefined) => {
      const value = vars[name];
      switch (op) {
        case ':-':
          return value ? value : (arg ?? '');
        case '-':
          return value ?? arg ?? '';
        case ':?':
        case '?':
          if (op === ':?' ? !value : value === undefined) throw new Error(`${name}: ${arg ?? 'required'}`);
          return value!;
        default:
          return value ?? '';
      }
    },
  );
}

function parseDotEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (match) vars[match[1]!] = match[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

const envExample = parseDotEnv(read('.env.example'));
/** The values .env.example's comments give for the ha profile (`# NAME=value`). */
const haEnv = Object.fromEntries(
  [...read('.env.example').matchAll(/^# ([A-Z_]+)=(\S+)$/gm)]
    .filter(m => HA_VARIABLES.includes(m[1]!))
    .map(m => [m[1]!, m[2]!]),
);

/** The environment a service's process sees once Compose has interpolated it with the .env.example values. */
const resolvedEnvironment = (name: string): Env =>
  Object.fromEntries(
    Object.entries(environmentOf(service(name))).map(([key, value]) => [key, interpolate(value, envExample)]),
  );

/** The variable names a config loader looks at: hand it an environment that records every read. */
function variablesRead(load: (env: Env) => unknown): Set<string> {
  const names = new Set<string>();
  const recorder = new Proxy<Env>(
    {},
    {
      get(_target, name) {
        if (typeof name === 'string') names.add(name);
        return undefined;
      },
    },
  );
  try {
    load(recorder);
  } catch {
    // An empty environment may be invalid for some loader; the names it read are what matters here.
  }
  return names;
}

/**
 * Each help text is spawned once per file, the three the checks read all at once before the first
 * test: a CLI start takes seconds on a loaded machine, and a synchronous one blocks the test.
 */
const helpTexts = new Map<string, string>();
beforeAll(async () => {
  const helpOf = (args: string[]) =>
    new Promise<void>(resolve => {
      // A failure is left for cliHelp to report, with the CLI's stderr, in the test that needs it.
      execFile(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' }, (err, stdout) => {
        if (!err) helpTexts.set(args.join(' '), stdout);
        resolve();
      });
    });
  await Promise.all([[], ['coordinator'], ['agent']].map(helpOf));
}, 180_000);

function cliHelp(...args: string[]): string {
  const known = helpTexts.get(args.join(' '));
  if (known !== undefined) return known;
  const run = spawnSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`modfleet ${args.join(' ')} --help failed (is it built?): ${run.stderr}`);
  helpTexts.set(args.join(' '), run.stdout);
  return run.stdout;
}

/** The subcommands `modfleet --help` lists (2-space indented lines of its Commands: section). */
function cliCommands(): string[] {
  const section = cliHelp().split(/^Commands:$/m)[1] ?? '';
  return section
    .split('\n')
    .map(line => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

/** The `[$VAR]` environment variables `modfleet <command> --help` documents for that command. */
const cliVariables = (command: string): Set<string> =>
  new Set([...cliHelp(command).matchAll(/\[\$([A-Z_]+)\]/g)].map(m => m[1]!));

describe('docker-compose.yml: services', () => {
  it('has redis, the coordinator, agent-1..3, agent-4 under more-agents and the HA services under ha', () => {
    expect(Object.keys(services).sort()).toEqual([...['redis', 'coordinator', ...ALL_AGENTS], ...HA_SERVICES].sort());
    for (const name of ['redis', 'coordinator', ...AGENTS]) expect(service(name).profiles, name).toBeUndefined();
    expect(service('agent-4').profiles).toEqual(['more-agents']);
    for (const name of HA_SERVICES) expect(service(name).profiles, name).toEqual(['ha']);
  });

  it('runs Redis 7 with an append-only file and noeviction (BullMQ must never lose keys), the replica too', () => {
    for (const name of ['redis', 'redis-replica']) {
      const redis = service(name);
      expect(redis.image, name).toMatch(/^redis:7/);
      const command = commandOf(redis).join(' ');
      expect(command, name).toMatch(/--appendonly yes/);
      expect(command, name).toMatch(/--appendfsync everysec/);
      expect(command, name).toMatch(/--maxmemory-policy noeviction/);
      expect(mountsOf(redis), name).toContainEqual({ source: expect.stringMatching(/./) as string, target: '/data' });
    }
  });

  it('gives every service a healthcheck', () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.healthcheck?.disable, name).not.toBe(true);
      const test = svc.healthcheck?.test;
      expect(test, name).toBeDefined();
      expect([test].flat()[0], name).not.toBe('NONE');
    }
    expect(service('redis').healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('checks GET /healthz on the port each modfleet service listens on, with node (no curl in the image), verifying TLS with the cluster CA', () => {
    for (const name of MODFLEET_SERVICES) {
      const test = [service(name).healthcheck?.test].flat();
      expect(test.slice(0, 3), name).toEqual(['CMD', 'node', '-e']);
      const port = resolvedEnvironment(name).MODFLEET_PORT;
      expect(test[3], name).toContain(`port: ${port}, path: '/healthz'`);
      expect(test[3], name).toContain("ca: require('fs').readFileSync('/data/tls/ca.pem')");
      expect(test[3], name).not.toMatch(/REJECT_UNAUTHORIZED|rejectUnauthorized|checkServerIdentity/);
      expect(test[3], name).toMatch(/statusCode === 200 \? 0 : 1/);
    }
  });

  it('starts the coordinator once Redis is healthy and the agents once Redis and the coordinator are', () => {
    for (const name of COORDINATORS) expect(dependsOn(service(name)), name).toEqual({ redis: 'service_healthy' });
    for (const name of ALL_AGENTS) {
      expect(dependsOn(service(name)), name).toEqual({ redis: 'service_healthy', coordinator: 'service_healthy' });
    }
  });

  it('builds the coordinator and the agents from the one Dockerfile, the agents from the x-agent anchor', () => {
    expect(compose['x-agent']).toBeDefined();
    expect(composeText.match(/^ {4}<<: \*agent$/gm)).toHaveLength(ALL_AGENTS.length);
    for (const name of MODFLEET_SERVICES) {
      expect(service(name).build, name).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(service(name).image, name).toBe(service('coordinator').image);
    }
  });

  it('runs commands the modfleet CLI really has: coordinator, and agent for every agent', () => {
    const commands = cliCommands();
    expect(commands).toEqual(expect.arrayContaining(['coordinator', 'agent']));
    expect(commandOf(service('coordinator'))).toEqual(['coordinator']);
    for (const name of ALL_AGENTS) expect(commandOf(service(name)), name).toEqual(['agent']);
    for (const name of MODFLEET_SERVICES) expect(commands, name).toContain(commandOf(service(name))[0]);
  });
});

describe('docker-compose.yml: agents', () => {
  it('gives each agent its own named volume at /data, its own node id, hostname and published port', () => {
    const volumes = ALL_AGENTS.map(name => mountsOf(service(name)).find(m => m.target === '/data')?.source ?? '');
    const nodeIds = ALL_AGENTS.map(name => environmentOf(service(name)).MODFLEET_NODE_ID);
    const hostPorts = ALL_AGENTS.flatMap(name => portsOf(service(name)).map(port => port.host));
    for (const volume of volumes) expect(isNamedVolume(volume), volume).toBe(true);
    expect(new Set(volumes).size).toBe(ALL_AGENTS.length);
    expect(nodeIds).toEqual(['1', '2', '3', '4']);
    expect(hostPorts).toEqual([9444, 9445, 9446, 9447]);
    for (const name of ALL_AGENTS) expect(service(name).hostname, name).toBe(name);
  });

  it('loads a valid agent config: listening on 0.0.0.0 and the published port, reaching coordinator and redis by service name', () => {
    const coordinator = loadCoordinatorConfig(resolvedEnvironment('coordinator'));
    for (const name of ALL_AGENTS) {
      const config = loadAgentConfig(resolvedEnvironment(name));
      // Bound to 0.0.0.0 the agent advertises https://<container IP>:9443, the port an RS node serves.
      expect(config.host, name).toBe('0.0.0.0');
      expect(
        portsOf(service(name)).map(port => port.container),
        name,
      ).toEqual([config.port]);
      expect(config.dataDir, name).toBe('/data');
      expect(config.nodeId, name).toBe(Number(name.replace('agent-', '')));
      expect(new URL(config.redisUrl).hostname, name).toBe('redis');
      const coordinatorUrl = new URL(config.coordinatorUrl ?? 'http://missing');
      expect(coordinatorUrl.hostname, name).toBe('coordinator');
      expect(Number(coordinatorUrl.port), name).toBe(coordinator.port);
      expect(config.clusterSecret, name).toBe(coordinator.clusterSecret);
      expect(config.redisUrl, name).toBe(coordinator.redisUrl);
      expect(config.prefix, name).toBe(coordinator.prefix);
    }
  });
});

describe('docker-compose.yml: coordinator', () => {
  it('loads a valid coordinator config: 0.0.0.0:9443, /data, an admin password and a cluster secret', () => {
    const config = loadCoordinatorConfig(resolvedEnvironment('coordinator'));
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(9443);
    expect(config.dataDir).toBe('/data');
    expect(new URL(config.redisUrl).hostname).toBe('redis');
    expect(config.adminPassword).toBeDefined();
    expect(config.clusterSecret).toBeDefined();
    expect(portsOf(service('coordinator'))).toEqual([{ hostIp: '127.0.0.1', host: 9443, container: 9443 }]);
    expect(mountsOf(service('coordinator')).find(m => m.target === '/data')?.source).toSatisfy(isNamedVolume);
  });

  it('requires the admin password and the cluster secret instead of starting with none', () => {
    const env = environmentOf(service('coordinator'));
    expect(env.MODFLEET_ADMIN_PASSWORD).toMatch(/^\$\{MODFLEET_ADMIN_PASSWORD:\?.+\}$/);
    expect(env.MODFLEET_CLUSTER_SECRET).toMatch(/^\$\{MODFLEET_CLUSTER_SECRET:\?.+\}$/);
  });
});

describe('docker-compose.yml: volumes, ports and variables', () => {
  it('declares every named volume at the top level, and mounts none twice', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = Object.values(services).flatMap(svc =>
      mountsOf(svc)
        .map(m => m.source)
        .filter(isNamedVolume),
    );
    for (const volume of used) expect(declared, volume).toContain(volume);
    expect(new Set(used).size).toBe(used.length);
  });

  it('publishes ports on 127.0.0.1 only, each host port once', () => {
    const ports = Object.values(services).flatMap(portsOf);
    for (const port of ports) expect(port.hostIp, String(port.host)).toBe('127.0.0.1');
    expect(new Set(ports.map(port => port.host)).size).toBe(ports.length);
  });

  it("sets only variables that the service's CLI command and config loader read", () => {
    const readers = {
      coordinator: { command: 'coordinator', read: variablesRead(loadCoordinatorConfig) },
      agent: { command: 'agent', read: variablesRead(loadAgentConfig) },
    };
    const registered = Object.keys(ENV_VARIABLES);
    for (const name of MODFLEET_SERVICES) {
      const reader = COORDINATORS.includes(name) ? readers.coordinator : readers.agent;
      const cli = cliVariables(reader.command);
      const pendingHa = (variable: string) => HA_VARIABLES.includes(variable) && !(variable in ENV_VARIABLES);
      for (const variable of Object.keys(environmentOf(service(name))).filter(v => !pendingHa(v))) {
        expect(registered, `${name}: ${variable} (env registry)`).toContain(variable);
        expect([...cli], `${name}: ${variable} (modfleet ${reader.command} --help)`).toContain(variable);
        expect([...reader.read], `${name}: ${variable} (config loader)`).toContain(variable);
      }
    }
  });

  it('.env.example lists every variable the compose file interpolates', () => {
    const interpolated = [...interpolatedVariables()];
    expect(interpolated).toEqual(
      expect.arrayContaining([
        'MODFLEET_ADMIN_EMAIL',
        'MODFLEET_ADMIN_PASSWORD',
        'MODFLEET_CLUSTER_SECRET',
        'LOG_LEVEL',
      ]),
    );
    for (const variable of interpolated) expect(Object.keys(envExample), variable).toContain(variable);
    expect(read('.env.example')).toContain('openssl rand -hex 32');
  });

  it('explains at the top how to add agents: a profile, not --scale', () => {
    const header = composeText.slice(0, composeText.indexOf('\nx-agent'));
    expect(header).toContain('--scale');
    expect(header).toContain('docker compose --profile more-agents up -d');
  });
});

/** A sentinel's config lines, as its `sh -c` command writes them (`printf '%s\n' 'line' …`), interpolated. */
const sentinelConfig = (name: string): string[] =>
  [
    ...commandOf(service(name))
      .join(' ')
      .matchAll(/'([a-z][^']*)'/g),
  ].map(m => interpolate(m[1]!, envExample));

/** A service's fixed address on the default network, with the .env.example values. */
const addressOf = (name: string): string =>
  interpolate(service(name).networks?.default?.ipv4_address ?? '', envExample);

describe('docker-compose.yml: the ha profile', () => {
  it('.env.example gives every HA variable, each empty by default so the plain services ignore it', () => {
    expect(Object.keys(haEnv).sort()).toEqual([...HA_VARIABLES].sort());
    for (const variable of HA_VARIABLES) expect(envExample[variable], variable).toBe('');
  });

  it('passes the Sentinel settings to every modfleet service, and the coordinator list to the agents', () => {
    for (const name of MODFLEET_SERVICES) {
      const env = environmentOf(service(name));
      expect(env.REDIS_SENTINELS, name).toBe('${REDIS_SENTINELS:-}');
      expect(env.REDIS_SENTINEL_MASTER, name).toBe('${REDIS_SENTINEL_MASTER:-}');
      expect(interpolate(env.REDIS_SENTINELS!, haEnv), name).toBe(haEnv.REDIS_SENTINELS);
    }
    for (const name of ALL_AGENTS) {
      const env = environmentOf(service(name));
      expect(interpolate(env.MODFLEET_COORDINATOR_URL!, haEnv), name).toBe(haEnv.MODFLEET_COORDINATOR_URL);
      expect(resolvedEnvironment(name).MODFLEET_COORDINATOR_URL, name).toBe('https://coordinator:9443');
    }
  });

  it('gives redis and its replica fixed addresses in the project subnet, outside the range others get', () => {
    const ipam = compose.networks?.default?.ipam?.config?.[0] ?? {};
    const subnet = interpolate(ipam.subnet ?? '', envExample);
    const range = interpolate(ipam.ip_range ?? '', envExample);
    expect(subnet).toMatch(/^(\d+\.){3}0\/24$/);
    const [net] = subnet.split('.0/');
    expect(range).toBe(`${net}.128/25`);
    expect(addressOf('redis')).toBe(`${net}.10`);
    expect(addressOf('redis-replica')).toBe(`${net}.11`);
  });

  it('runs a replica of redis, and three sentinels on it with a majority quorum under the configured name', () => {
    expect(interpolate(commandOf(service('redis-replica')).join(' '), envExample)).toContain(
      `--replicaof ${addressOf('redis')} 6379`,
    );
    expect(dependsOn(service('redis-replica'))).toEqual({ redis: 'service_healthy' });
    const listed = haEnv.REDIS_SENTINELS!.split(',');
    expect(listed).toEqual(SENTINELS.map(name => `${name}:26379`));
    const volumes = new Set<string>();
    for (const name of SENTINELS) {
      const config = sentinelConfig(name);
      expect(config, name).toContain('port 26379');
      expect(config, name).toContain(`sentinel monitor ${haEnv.REDIS_SENTINEL_MASTER} ${addressOf('redis')} 6379 2`);
      // By address only: a Sentinel resolving the dead master's name stalls and never fails over.
      expect(config.join('\n'), name).not.toMatch(/resolve-hostnames yes|announce-hostnames yes/);
      expect(service(name).hostname, name).toBe(name);
      expect(service(name).healthcheck?.test, name).toEqual(['CMD', 'redis-cli', '-p', '26379', 'ping']);
      volumes.add(mountsOf(service(name)).find(m => m.target === '/data')?.source ?? '');
    }
    expect(volumes.size).toBe(SENTINELS.length);
  });

  it('runs a second coordinator like the first, with its own volume and published port, both in the agents list', () => {
    expect(environmentOf(service('coordinator-2'))).toEqual(environmentOf(service('coordinator')));
    const volume = (name: string) => mountsOf(service(name)).find(m => m.target === '/data')?.source;
    expect(volume('coordinator-2')).toSatisfy(isNamedVolume);
    expect(volume('coordinator-2')).not.toBe(volume('coordinator'));
    expect(portsOf(service('coordinator-2'))).toEqual([{ hostIp: '127.0.0.1', host: 9543, container: 9443 }]);
    const urls = haEnv.MODFLEET_COORDINATOR_URL!.split(',').map(url => new URL(url));
    expect(urls.map(url => url.hostname)).toEqual(COORDINATORS);
    for (const url of urls)
      expect(Number(url.port)).toBe(loadCoordinatorConfig(resolvedEnvironment('coordinator')).port);
  });

  it.skipIf(!('REDIS_SENTINELS' in ENV_VARIABLES))(
    'the services read the Sentinel variables (skipped until Sentinel support registers REDIS_SENTINELS)',
    () => {
      for (const variable of ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER']) {
        expect([...variablesRead(loadCoordinatorConfig)], variable).toContain(variable);
        expect([...variablesRead(loadAgentConfig)], variable).toContain(variable);
      }
    },
  );
});

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions grouped by stage (comments dropped, `\` continuations joined). */
function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const [op = '', ...rest] = line.split(/\s+/);
    const instruction = { op: op.toUpperCase(), args: rest.join(' ') };
    if (instruction.op === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** Does a COPY source (relative to the build context, maybe a `*` glob in its last part) match a file? */
function sourceExists(source: string): boolean {
  const clean = source.replace(/\/$/, '');
  if (!clean.includes('*')) return existsSync(join(ROOT, clean));
  const dir = dirname(clean);
  const pattern = new RegExp(
    `^${clean
      .slice(dir === '.' ? 0 : dir.length + 1)
      .replace(/[.]/g, '\\.')
      .replace(/\*/g, '.*')}$`,
  );
  return readdirSync(join(ROOT, dir)).some(name => pattern.test(name));
}

describe('Dockerfile', () => {
  const stages = dockerfileStages(read('Dockerfile'));
  const runtime = stages.at(-1) ?? [];
  const all = stages.flat();
  const rootPackage = JSON.parse(read('package.json')) as { workspaces: string[]; scripts: Record<string, string> };

  it('is multi-stage, on the Node LTS of .nvmrc', () => {
    const lts = read('.nvmrc').trim();
    // An even major (an LTS line), and not one past its end of life (Node 20 ended in April 2026).
    expect(Number(lts) % 2).toBe(0);
    expect(Number(lts)).toBeGreaterThanOrEqual(22);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]!.args).toMatch(new RegExp(`^node:${lts}-bookworm-slim\\b`));
  });

  it('installs only production dependencies in the runtime stage, with every workspace manifest', () => {
    const installs = runtime.filter(i => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/--omit=dev/);
    // `prepare` runs tsc, a devDependency: scripts must be off where devDependencies are omitted.
    expect(installs[0]!.args).toMatch(/--ignore-scripts/);
    for (const stage of stages.filter(s => s.some(i => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)))) {
      const copied = stage.filter(i => i.op === 'COPY').map(i => i.args);
      for (const workspace of rootPackage.workspaces) {
        expect(
          copied.some(args => args.startsWith(`${workspace}/package.json `)),
          workspace,
        ).toBe(true);
      }
    }
  });

  it('copies every workspace build and the bin into the runtime stage', () => {
    const copiedFromBuild = runtime.filter(i => i.op === 'COPY' && i.args.startsWith('--from=')).map(i => i.args);
    for (const workspace of rootPackage.workspaces) {
      expect(
        copiedFromBuild.some(args => args.includes(`${workspace}/dist `)),
        workspace,
      ).toBe(true);
    }
    expect(copiedFromBuild.some(args => args.includes('packages/cli/bin '))).toBe(true);
  });

  it('copies every other directory a workspace ships (bin, static assets…) into the runtime stage', () => {
    const copied = runtime.filter(i => i.op === 'COPY').map(i => i.args);
    for (const workspace of rootPackage.workspaces) {
      const shipped = readdirSync(join(ROOT, workspace), { withFileTypes: true })
        .filter(entry => entry.isDirectory() && !['src', 'dist', 'node_modules'].includes(entry.name))
        .map(entry => `${workspace}/${entry.name}`);
      for (const dir of shipped)
        expect(
          copied.some(args => args.includes(`${dir} `)),
          dir,
        ).toBe(true);
    }
  });

  it("installs redis-server in the runtime stage: an agent's database shards run on it", () => {
    const installs = runtime.filter(i => i.op === 'RUN' && /\bapt-get install\b/.test(i.args));
    expect(installs.some(i => /\sredis-server\b/.test(i.args))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const user = runtime.filter(i => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', 'root:root', '0:0']).not.toContain(user);
  });

  it('enters through the modfleet bin, which exists, defaulting to a command the CLI has', () => {
    const entrypoint = JSON.parse(runtime.find(i => i.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint[0]).toBe('node');
    expect(existsSync(join(ROOT, entrypoint[1]!))).toBe(true);
    const cmd = JSON.parse(runtime.find(i => i.op === 'CMD')!.args) as string[];
    expect(cliCommands()).toContain(cmd[0]);
    expect(runtime.find(i => i.op === 'EXPOSE')?.args.split(/\s+/)).toEqual(expect.arrayContaining(['9443', '9444']));
  });

  it('copies only files that exist, and runs only npm scripts that package.json has', () => {
    for (const instruction of all.filter(i => i.op === 'COPY' && !i.args.startsWith('--from='))) {
      const sources = instruction.args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(sourceExists(source), source).toBe(true);
    }
    const scripts = all
      .filter(i => i.op === 'RUN')
      .flatMap(i => [...i.args.matchAll(/\bnpm run(?:-script)? ([\w:-]+)/g)].map(m => m[1]!));
    for (const script of scripts) expect(Object.keys(rootPackage.scripts), script).toContain(script);
  });

  it('.dockerignore keeps local builds, node_modules and secrets out of the context, but not the sources', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map(line => line.trim())
      .filter(line => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git', '.modfleet', '.env']));
    for (const needed of ['package.json', 'package-lock.json', 'packages', 'packages/*/src', 'tsconfig*.json']) {
      expect(ignored, needed).not.toContain(needed);
    }
  });
});

/** A Compose implementation on PATH, if any: v1 `docker-compose` or the v2 `docker compose` plugin. */
function composeBinary(): string[] | undefined {
  for (const argv of [['docker-compose'], ['docker', 'compose']]) {
    const probe = spawnSync(argv[0]!, [...argv.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return argv;
  }
  return undefined;
}

const composeArgv = composeBinary();

describe('docker-compose config', () => {
  /** The caller's environment minus anything that could stand in for .env.example's values. */
  const cleanEnv = (): NodeJS.ProcessEnv =>
    Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in envExample)));

  function runConfig(
    env: NodeJS.ProcessEnv,
    extra: string[] = ['config', '-q'],
  ): { status: number | null; output: string } {
    // An empty --env-file: a developer's own .env must not decide the outcome.
    const dir = mkdtempSync(join(tmpdir(), 'modfleet-compose-'));
    try {
      const emptyEnvFile = join(dir, 'empty.env');
      writeFileSync(emptyEnvFile, '');
      const argv = composeArgv!;
      const args = [...argv.slice(1), '--env-file', emptyEnvFile, '-f', 'docker-compose.yml', ...extra];
      const run = spawnSync(argv[0]!, args, { cwd: ROOT, env, encoding: 'utf8' });
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.skipIf(composeArgv === undefined)(
    'accepts the file with the .env.example values (skipped when neither docker-compose nor docker compose is on PATH)',
    () => {
      const result = runConfig({ ...cleanEnv(), ...envExample });
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it.skipIf(composeArgv === undefined)(
    'accepts the ha profile with its values from .env.example (skipped without a compose binary)',
    () => {
      const env = { ...cleanEnv(), ...envExample, ...haEnv };
      const result = runConfig(env, ['--profile', 'ha', 'config', '-q']);
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it.skipIf(composeArgv === undefined)(
    'refuses to run without the admin password and cluster secret (skipped without a compose binary)',
    () => {
      const result = runConfig(cleanEnv());
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/MODFLEET_(ADMIN_PASSWORD|CLUSTER_SECRET)/);
    },
  );

  it('the CLI help the checks above rely on is available (the build exists)', () => {
    expect(execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
