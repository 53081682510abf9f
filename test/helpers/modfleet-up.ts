/**
 * `modfleet up` as the e2e tests run it: its flags, the line it prints once every service answers,
 * the summary around that line, and Ctrl-C, after which nothing it started may still run.
 */
import type { Credentials } from './http.js';
import { groupAlive, runModfleet, waitUntil, type Env, type Exit, type ModfleetProcess } from './processes.js';

/** The admin `modfleet up` creates when none is given (its summary prints it). */
export const UP_ADMIN: Credentials = { email: 'admin@modfleet.local', password: 'modfleet-local-admin' };

export interface UpFlags {
  nodes: number;
  /** `--port`: the HTTPS port (with `ports`, node N's is port + N). */
  port: number;
  /** `--http-port`: the plain HTTP port; 0 (the default here) leaves plain HTTP off. */
  httpPort?: number;
  /** `--ports`: one port per service, all on 127.0.0.1, instead of one IP per service. */
  ports?: boolean;
  dataDir: string;
  prefix?: string;
  /** Omitted: no `--redis-url` (the variable or the default applies). */
  redisUrl?: string;
}

export function upArgs(flags: UpFlags): string[] {
  return [
    'up',
    ...(flags.ports ? ['--ports'] : []),
    ...['--nodes', String(flags.nodes), '--port', String(flags.port), '--http-port', String(flags.httpPort ?? 0)],
    ...['--data-dir', flags.dataDir],
    ...(flags.prefix ? ['--prefix', flags.prefix] : []),
    ...(flags.redisUrl ? ['--redis-url', flags.redisUrl] : []),
  ];
}

/** Starts `modfleet up` and waits for the line it prints once every service answers. */
export async function startUp(flags: UpFlags, env: Env = {}): Promise<ModfleetProcess> {
  const up = runModfleet(upArgs(flags), env, 'up');
  await waitUntilUp(up);
  return up;
}

export async function waitUntilUp(up: ModfleetProcess): Promise<void> {
  // Generous: on a loaded 2-core machine three services can take this long to answer.
  await up.waitForOutput(/Ctrl-C stops the cluster/, 90_000);
}

/** SIGINT (Ctrl-C) to `up` alone: it must stop its children itself, none outliving it. */
export async function interruptUp(up: ModfleetProcess): Promise<Exit> {
  const exit = await up.stop('SIGINT', 20_000);
  // Every process `up` started shared its process group.
  await waitUntil(() => !groupAlive(up.pid), 'children of `modfleet up` still running after it exited', 5_000);
  return exit;
}

export interface UpSummary {
  coordinator: string;
  nodes: string[];
  /** Plain HTTP URLs, in the same order: what the suite calls. */
  coordinatorHttp: string;
  nodesHttp: string[];
  caFile: string;
  admin: Credentials;
}

/** Reads the summary `modfleet up` prints once everything answers (plain HTTP on: it lists both URLs). */
export async function waitForSummary(up: ModfleetProcess, nodes: number): Promise<UpSummary> {
  await waitUntilUp(up);
  const out = up.stdout();
  const line = (label: string) => new RegExp(`^\\s+${label}\\s+(\\S+)\\s+\\(plain HTTP: (\\S+)\\)$`, 'm').exec(out);
  const coordinator = line('coordinator');
  const caFile = /^\s+cluster CA\s+(\S+)$/m.exec(out)?.[1];
  const admin = /^\s+admin login\s+(\S+) \/ (\S+)$/m.exec(out);
  const found = Array.from({ length: nodes }, (_unused, index) => line(`node ${index + 1}`));
  if (!coordinator || !caFile || !admin || found.some(match => !match)) throw new Error(`unexpected summary:\n${out}`);
  return {
    coordinator: coordinator[1]!,
    coordinatorHttp: coordinator[2]!,
    nodes: found.map(match => match![1]!),
    nodesHttp: found.map(match => match![2]!),
    caFile,
    admin: { email: admin[1]!, password: admin[2]! },
  };
}
