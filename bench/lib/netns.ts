import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { trackChild } from './util.js';

const run = promisify(execFile);

/** A private subnet of this bench's own on one bridge; host .1 on the bridge, hosts from .2. */
export const SUBNET = '10.213.47';
const BRIDGE = 'mfrelay0';
const NS_PREFIX = 'mfr-';

export interface NetHost {
  ns: string;
  ip: string;
}

async function sh(args: string[]): Promise<void> {
  await run(args[0]!, args.slice(1));
}

/** True when this process may create namespaces (root, with ip and tc present). */
export async function canUseNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run('ip', ['-V']);
    await run('tc', ['-V']);
    return true;
  } catch {
    return false;
  }
}

/**
 * One bridge and one namespace per host, each joined by a veth pair, each host's uplink (its
 * side of the veth, egress) shaped with tc tbf. Everything made is recorded so `teardown`
 * removes it, also after a failure half-way.
 */
export class ModelledNetwork {
  private readonly namespaces: string[] = [];
  private readonly veths: string[] = [];
  private bridge = false;
  private readonly children: ChildProcess[] = [];

  constructor(
    private readonly rate: string,
    /** tbf's queue bound as a delay: how much of the uplink may wait in the host's queue. */
    private readonly latency = '200ms',
  ) {}

  async createBridge(): Promise<string> {
    await sh(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
    this.bridge = true;
    await sh(['ip', 'addr', 'add', `${SUBNET}.1/24`, 'dev', BRIDGE]);
    await sh(['ip', 'link', 'set', BRIDGE, 'up']);
    return `${SUBNET}.1`;
  }

  async addHost(index: number, label: string): Promise<NetHost> {
    const ns = `${NS_PREFIX}${label}`;
    const outside = `mfrh${index}`;
    const inside = `mfrn${index}`;
    const ip = `${SUBNET}.${index}`;
    await sh(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    await sh(['ip', 'link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
    this.veths.push(outside);
    await sh(['ip', 'link', 'set', inside, 'netns', ns]);
    await sh(['ip', 'link', 'set', outside, 'master', BRIDGE]);
    await sh(['ip', 'link', 'set', outside, 'up']);
    const inNs = (...args: string[]) => sh(['ip', 'netns', 'exec', ns, ...args]);
    await inNs('ip', 'addr', 'add', `${ip}/24`, 'dev', inside);
    await inNs('ip', 'link', 'set', inside, 'up');
    await inNs('ip', 'link', 'set', 'lo', 'up');
    await inNs(
      'tc',
      'qdisc',
      'add',
      'dev',
      inside,
      'root',
      'tbf',
      'rate',
      this.rate,
      'burst',
      '256kb',
      'latency',
      '200ms',
    );
    return { ns, ip };
  }

  /** Starts a long-running command inside a host's namespace; its output goes to `logFile`. */
  spawnIn(host: NetHost, command: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
    const child = trackChild(
      spawn('ip', ['netns', 'exec', host.ns, ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const log = createWriteStream(logFile);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.children.push(child);
    return child;
  }

  /** Runs a command inside a namespace to its end; resolves with stdout. */
  async exec(host: NetHost, command: string[]): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', host.ns, ...command], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  }

  /** Kills what it started, then removes every namespace, veth and the bridge it made. */
  async teardown(): Promise<void> {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    const running = this.children.filter(c => c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map(c => new Promise(resolve => c.once('exit', resolve))));
    for (const ns of this.namespaces.splice(0)) await sh(['ip', 'netns', 'del', ns]).catch(() => undefined);
    for (const veth of this.veths.splice(0)) await sh(['ip', 'link', 'del', veth]).catch(() => undefined);
    if (this.bridge) await sh(['ip', 'link', 'del', BRIDGE]).catch(() => undefined);
    this.bridge = false;
  }
}
