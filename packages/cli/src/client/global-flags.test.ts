import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routes } from '@modfleet/common/contract';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from './client-context.js';
import { contextFilePath } from './context-file.js';
import { registerClientCommands } from './register-client-commands.js';

const PASSWORD = 'pw-of-admin';
const AUTH = `Basic ${Buffer.from(`admin@modfleet.local:${PASSWORD}`).toString('base64')}`;
const NODES = [
  { uid: 2, addr: 'http://127.0.0.3:1', status: 'active', last_heartbeat: null },
  { uid: 1, addr: 'http://127.0.0.2:1', status: 'active', last_heartbeat: null },
];

let server: Server;
let url: string;
let config: string;
let seen: string[];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.headers.authorization !== AUTH) return send(401, { error_code: 'unauthorized', description: 'no' });
      if (req.url === routes.nodes) return send(200, NODES);
      if (req.url === routes.cluster) return send(200, { name: 'stub' });
      if (req.url === routes.fleetArtifacts) {
        return send(406, { error_code: 'invalid_nodes', description: 'No such node(s): 7' });
      }
      return send(404, { error_code: 'not_found', description: `no ${req.url}` });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => server.close());

beforeEach(async () => {
  seen = [];
  config = await mkdtemp(join(tmpdir(), 'modfleet-global-flags-'));
});
afterEach(async () => {
  delete process.env.MODFLEET_URL;
  await rm(config, { recursive: true, force: true });
});

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** `modfleet <args>` in process, exactly as given: no --url added. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const io: Io = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { XDG_CONFIG_HOME: config },
    setExitCode: value => (code = value),
    exit: value => {
      throw new Exited(value);
    },
    pollIntervalMs: 5,
  };
  const program = new Command('modfleet');
  registerClientCommands(program, io);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof Exited) return { code: e.code, out, err };
    throw e;
  }
  return { code, out, err };
}

describe('exit codes, flags before the command, JSON errors', () => {
  it('an unknown command exits 2 with a suggestion in three lines, not the whole help', async () => {
    const result = await run(['nodez']);
    expect(result.code).toBe(2);
    expect(result.err).toContain("unknown command 'nodez'");
    expect(result.err).toContain('Did you mean nodes?');
    expect(result.err.trimEnd().split('\n').length).toBeLessThanOrEqual(3);
  });

  it('takes --url, --password and -o before the command name, as kubectl does', async () => {
    const result = await run(['--url', url, '--password', PASSWORD, '-o', 'json', 'nodes']);
    expect(result.code, result.err).toBe(0);
    expect((JSON.parse(result.out) as { uid: number }[]).map(n => n.uid)).toEqual([2, 1]);
  });

  it('under -o json an RS error is the JSON body on stdout, exit 1', async () => {
    const result = await run(['nodes', '--url', url, '--password', 'wrong', '-o', 'json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.out)).toEqual({ error_code: 'unauthorized', description: 'no' });
  });

  it('under -o json a usage error is a JSON body too, exit 2', async () => {
    const result = await run(['nodes', '--bogus', '-o', 'json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.out)).toEqual({ error_code: 'unknown_option', description: "unknown option '--bogus'" });
  });

  it('push --nodes 7 names the valid node uids', async () => {
    const zip = join(config, 'missing.zip');
    const { packArtifact } = await import('./pack-artifact.js');
    const so = join(config, 'x.so');
    await import('node:fs/promises').then(fs => fs.writeFile(so, Buffer.alloc(64, 1)));
    await packArtifact({ module: so, name: 'X', version: '1', discover: false, out: zip });
    const result = await run(['push', zip, '--nodes', '7', '--url', url, '--password', PASSWORD]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('invalid_nodes: No such node(s): 7; valid node uids: 1, 2');
  });
});

describe('contexts', () => {
  const login = (...extra: string[]) => run(['login', '--url', url, '--password', PASSWORD, ...extra]);

  it('login checks the password, saves a 0600 context without it unless --save-password', async () => {
    expect((await run(['login', '--url', url, '--password', 'wrong'])).code).toBe(1);
    const path = contextFilePath({ XDG_CONFIG_HOME: config });
    await expect(stat(path)).rejects.toThrow();

    const plain = await login('--name', 'stub');
    expect(plain.code, plain.err).toBe(0);
    expect(plain.err).toContain('context "stub" saved');
    expect(plain.err).toContain('password not saved');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).not.toContain(PASSWORD);
    // no password saved: the command is refused until one is given
    expect((await run(['nodes'])).code).toBe(1);

    const saved = await login('--name', 'stub', '--save-password');
    expect(saved.err).toContain('password saved in clear');
    const nodes = await run(['nodes']);
    expect(nodes.code, nodes.err).toBe(0);
    expect(nodes.out).toMatch(/^1\s+http:\/\/127\.0\.0\.2:1\s+active/m);
  });

  it('--context picks one by name; a wrong name lists the valid ones; use and rm change the file', async () => {
    await login('--name', 'one', '--save-password');
    await run(['login', '--url', 'http://127.0.0.1:1', '--password', PASSWORD, '--name', 'dead']).catch(
      () => undefined,
    );
    const wrong = await run(['--context', 'nope', 'nodes']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('no context "nope"');
    expect(wrong.err).toContain('valid: one');

    expect((await run(['nodes', '--context', 'one'])).code).toBe(0);
    const list = await run(['context', 'list']);
    expect(list.out).toMatch(/^\*\s+one\s+http:\/\/127\.0\.0\.1:\d+\s+admin@modfleet\.local\s+saved$/m);

    expect((await run(['context', 'use', 'nope'])).code).toBe(2);
    expect((await run(['context', 'rm', 'one'])).code).toBe(0);
    expect((await run(['context', 'list'])).out).toContain('No contexts saved');
    // nothing current any more: the default URL, where nothing listens here
    expect((await run(['nodes', '--url', 'http://127.0.0.1:1'])).code).toBe(1);
  });

  it('MODFLEET_URL beats the current context, but a context named with --context beats MODFLEET_URL', async () => {
    await login('--name', 'one', '--save-password');
    process.env.MODFLEET_URL = 'http://127.0.0.1:1';
    const byEnv = await run(['nodes']);
    expect(byEnv.code).toBe(1);
    expect(byEnv.err).toContain('127.0.0.1:1');
    const named = await run(['nodes', '--context', 'one']);
    expect(named.code, named.err).toBe(0);
  });
});
