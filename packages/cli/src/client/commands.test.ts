import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathTo, routes, type ActionObject, type FleetArtifactView } from '@modfleet/common/contract';
import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from './client-context.js';
import { packArtifact } from './pack-artifact.js';
import { registerClientCommands } from './register-client-commands.js';

/** A request the stub coordinator saw. */
interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
  type: string | undefined;
  body: string;
}

type Route = (req: Seen) => { status: number; body?: unknown };

let server: Server;
let url: string;
let answers: Map<string, Route>;
let seen: Seen[];
let dir: string;
let zip: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('latin1'),
      };
      seen.push(request);
      const route = answers.get(`${request.method} ${request.path}`);
      const { status, body } = route
        ? route(request)
        : { status: 404, body: { error_code: 'not_found', description: 'no route' } };
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  dir = await mkdtemp(join(tmpdir(), 'modfleet-cli-commands-'));
  const so = join(dir, 'test.so');
  await writeFile(so, randomBytes(2048));
  zip = (
    await packArtifact({ module: so, name: 'TestModule', version: '123', discover: false, out: join(dir, 'test.zip') })
  ).file;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  answers = new Map();
  seen = [];
});

class Exited extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `modfleet <args>` in-process against the stub; stdout and stderr are pipes (no TTY). */
async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const io: Io = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    setExitCode: value => (code = value),
    exit: value => {
      throw new Exited(value);
    },
    pollIntervalMs: 5,
  };
  const program = new Command('modfleet').exitOverride();
  registerClientCommands(program, io);
  const hasUrl = args.includes('--url') || ['pack'].includes(args[0]!);
  try {
    await program.parseAsync([...args, ...(hasUrl ? [] : ['--url', url, '--password', 'pw'])], { from: 'user' });
  } catch (e) {
    if (e instanceof Exited) return { code: e.code, out, err };
    throw e;
  }
  return { code, out, err };
}

function action(
  status: ActionObject['status'],
  ops: Record<string, { status: string; progress?: number; attempts?: number; error?: string | null }>,
  name = 'install_module_artifact',
): ActionObject {
  return {
    action_uid: 'act-1',
    action_type: 'task',
    name,
    status,
    progress: 0,
    creation_time: 1_700_000_000,
    additional_info: {
      description: 'Install TestModule@123 on every node',
      object_type: 'module_artifact',
      object_uid: 'TestModule@123',
      pending_ops: Object.fromEntries(
        Object.entries(ops).map(([node, op]) => [
          node,
          { progress: 0, attempts: 0, error: null, ...op } as ActionObject['additional_info']['pending_ops'][string],
        ]),
      ),
    },
  };
}

/** GET /v2/actions/act-1 answers each state in turn, then keeps answering the last. */
function actionSequence(...states: ActionObject[]): void {
  let index = 0;
  answers.set(`GET ${pathTo(routes.action, { uid: 'act-1' })}`, () => ({
    status: 200,
    body: states[Math.min(index++, states.length - 1)],
  }));
}

describe('modfleet nodes', () => {
  it('prints uid, addr, status and last heartbeat, or the raw JSON with -o json', async () => {
    const nodes = [
      { uid: 1, addr: 'http://127.0.0.1:9444', status: 'active', last_heartbeat: new Date().toISOString() },
      { uid: 2, addr: 'http://127.0.0.1:9445', status: 'down', last_heartbeat: null },
    ];
    answers.set(`GET ${routes.nodes}`, () => ({ status: 200, body: nodes }));
    const table = await run(['nodes']);
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^UID\s+ADDR\s+STATUS\s+LAST HEARTBEAT$/);
    expect(table.out).toMatch(/^1\s+http:\/\/127\.0\.0\.1:9444\s+active\s+\ds ago$/m);
    expect(table.out).toMatch(/^2\s+http:\/\/127\.0\.0\.1:9445\s+down\s+never$/m);
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from('admin@modfleet.local:pw').toString('base64')}`);

    const json = await run(['nodes', '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual(nodes);
  });

  it('takes the URL and credentials from MODFLEET_URL / MODFLEET_USER / MODFLEET_PASSWORD (flags win)', async () => {
    answers.set(`GET ${routes.nodes}`, () => ({ status: 200, body: [] }));
    let out = '';
    const io: Io = {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: () => true },
      env: {},
      setExitCode: () => undefined,
      exit: code => {
        throw new Exited(code);
      },
      pollIntervalMs: 5,
    };
    const saved = { ...process.env };
    Object.assign(process.env, { MODFLEET_URL: url, MODFLEET_USER: 'ops@x.io', MODFLEET_PASSWORD: 'envpw' });
    try {
      const program = new Command('modfleet').exitOverride();
      registerClientCommands(program, io);
      await program.parseAsync(['nodes'], { from: 'user' });
      expect(seen[0]!.auth).toBe(`Basic ${Buffer.from('ops@x.io:envpw').toString('base64')}`);
      const again = new Command('modfleet').exitOverride();
      registerClientCommands(again, io);
      await again.parseAsync(['nodes', '--password', 'flagpw'], { from: 'user' });
      expect(seen[1]!.auth).toBe(`Basic ${Buffer.from('ops@x.io:flagpw').toString('base64')}`);
    } finally {
      for (const name of ['MODFLEET_URL', 'MODFLEET_USER', 'MODFLEET_PASSWORD']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
    expect(out).toContain('No node has registered yet');
  });
});

describe('modfleet push', () => {
  it('uploads the zip as multipart `module` with `nodes`, then prints one line per node change and a summary', async () => {
    answers.set(`POST ${routes.fleetArtifacts}`, () => ({ status: 202, body: { action_uid: 'act-1' } }));
    actionSequence(
      action('queued', { '1': { status: 'queued' }, '3': { status: 'queued' } }),
      action('running', { '1': { status: 'running', progress: 40, attempts: 1 }, '3': { status: 'queued' } }),
      action('running', {
        '1': { status: 'running', progress: 80, attempts: 1 },
        '3': { status: 'running', attempts: 1 },
      }),
      action('completed', { '1': { status: 'completed', attempts: 1 }, '3': { status: 'completed', attempts: 1 } }),
    );
    const result = await run(['push', zip, '--nodes', '1, 3']);
    expect(result.code).toBe(0);

    const upload = seen.find(r => r.method === 'POST')!;
    expect(upload.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain('Content-Disposition: form-data; name="nodes"\r\n\r\n1,3\r\n');
    expect(upload.body).toContain('Content-Disposition: form-data; name="module"; filename="test.zip"');

    expect(result.err).toContain('Pushing TestModule@123');
    const nodeLines = result.err.split('\n').filter(line => line.startsWith('node '));
    expect(nodeLines).toEqual([
      'node 1: queued',
      'node 3: queued',
      'node 1: running',
      'node 3: running',
      'node 1: completed',
      'node 3: completed',
    ]);
    expect(result.out).toMatch(/^install_module_artifact act-1: completed$/m);
    expect(result.out).toMatch(/^1\s+completed\s+100%\s+1$/m);
    expect(result.out).toMatch(/^3\s+completed\s+100%\s+1$/m);
  });

  it('exits 1 and names each failed node with its error', async () => {
    answers.set(`POST ${routes.fleetArtifacts}`, () => ({ status: 202, body: { action_uid: 'act-1' } }));
    actionSequence(
      action('running', {
        '1': { status: 'completed', attempts: 1 },
        '2': { status: 'queued', attempts: 1, error: 'connect ECONNREFUSED' },
      }),
      action('failed', {
        '1': { status: 'completed', attempts: 1 },
        '2': { status: 'failed', attempts: 5, error: 'connect ECONNREFUSED' },
      }),
    );
    const result = await run(['push', zip]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('node 2: queued (attempt 1 failed: connect ECONNREFUSED; retrying)');
    expect(result.err).toContain(
      'modfleet: action_failed: install_module_artifact act-1 did not complete on node 2\n' +
        '  node 2: failed after 5 attempts: connect ECONNREFUSED\n',
    );
    expect(result.out).toMatch(/^2\s+failed\s+0%\s+5\s+connect ECONNREFUSED$/m);
  });

  it('--no-wait prints the action uid and exits 0 without polling', async () => {
    answers.set(`POST ${routes.fleetArtifacts}`, () => ({ status: 202, body: { action_uid: 'act-9' } }));
    const result = await run(['push', zip, '--no-wait']);
    expect(result).toMatchObject({ code: 0, out: 'act-9\n' });
    expect(seen.map(r => r.method)).toEqual(['POST']);
    const json = await run(['push', zip, '--no-wait', '-o', 'json']);
    expect(JSON.parse(json.out)).toEqual({ action_uid: 'act-9' });
  });

  it('rides out a coordinator that is briefly unavailable while waiting', async () => {
    answers.set(`POST ${routes.fleetArtifacts}`, () => ({ status: 202, body: { action_uid: 'act-1' } }));
    let calls = 0;
    answers.set(`GET ${pathTo(routes.action, { uid: 'act-1' })}`, () => {
      calls += 1;
      if (calls === 2) return { status: 503, body: { error_code: 'redis_unavailable', description: 'Redis is down' } };
      return calls < 3
        ? { status: 200, body: action('running', { '1': { status: 'running', attempts: 1 } }) }
        : { status: 200, body: action('completed', { '1': { status: 'completed', attempts: 1 } }) };
    });
    const result = await run(['push', zip]);
    expect(result.code).toBe(0);
    expect(result.err).toContain('lost the coordinator (Redis is down); retrying');
  });

  it('stops waiting at --timeout, exits 1 and says how to follow the action', async () => {
    answers.set(`POST ${routes.fleetArtifacts}`, () => ({ status: 202, body: { action_uid: 'act-1' } }));
    answers.set(`GET ${routes.nodes}`, () => ({
      status: 200,
      body: [{ uid: 2, addr: 'http://x', status: 'down', last_heartbeat: null }],
    }));
    actionSequence(action('running', { '1': { status: 'completed', attempts: 1 }, '2': { status: 'queued' } }));
    const result = await run(['push', zip, '--timeout', '0.05']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('modfleet: timeout: action act-1 is still running after 0.05s');
    expect(result.err).toContain('modfleet actions act-1 --watch');
    expect(result.err).toContain('node 2 is down');
  });

  it('refuses a file that is not an RS artifact before sending anything (exit 2)', async () => {
    const notZip = join(dir, 'module.json');
    await writeFile(notZip, '{}');
    const result = await run(['push', notZip]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^modfleet: bad_artifact: .*not a readable \.zip/m);
    const missing = await run(['push', join(dir, 'nope.zip')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^modfleet: bad_file: cannot read /m);
    expect(seen).toEqual([]);
  });

  it('ends usage errors with status 2: bad --nodes, bad -o, bad URL', async () => {
    for (const args of [
      ['push', zip, '--nodes', '1,x'],
      ['nodes', '-o', 'yaml'],
      ['nodes', '--url', 'ftp://host'],
      ['rm', 'TestModule', 'v1'],
      ['rm', '../x', '1'],
      ['actions', '--watch'],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err.length, args.join(' ')).toBeGreaterThan(0);
    }
    expect(seen).toEqual([]);
  });
});

describe('modfleet push --from-url', () => {
  const token = 'Bearer cli-secret-token-77';

  it('sends {url, sha256, headers, nodes} as JSON and never prints a header value or the URL credentials', async () => {
    answers.set(`POST ${routes.fleetArtifacts}`, () => ({ status: 202, body: { action_uid: 'act-1' } }));
    actionSequence(action('completed', { '1': { status: 'completed', attempts: 1 } }));
    const source = 'https://bob:url-pw-55@files.example/m/test.zip?sig=query-secret-9';
    const sha256 = 'AB'.repeat(32);
    const result = await run([
      'push',
      '--from-url',
      source,
      '--sha256',
      sha256,
      '--header',
      `Authorization: ${token}`,
      '--header',
      'X-Trace:1',
      '--nodes',
      '1',
    ]);
    expect(result.code).toBe(0);
    const sent = seen.find(r => r.method === 'POST')!;
    expect(sent.type).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({
      url: source,
      sha256: sha256.toLowerCase(),
      headers: { Authorization: token, 'X-Trace': '1' },
      nodes: '1',
    });
    expect(result.err).toContain('Pushing https://files.example/m/test.zip to nodes 1');
    for (const secret of ['cli-secret-token-77', 'url-pw-55', 'query-secret-9']) {
      expect(result.out + result.err).not.toContain(secret);
    }
  });

  it('refuses with status 2 before sending: a file and --from-url, neither, another scheme, a header without a name, --header with a file', async () => {
    for (const args of [
      ['push', zip, '--from-url', 'https://files.example/a.zip'],
      ['push'],
      ['push', '--from-url', 'ftp://files.example/a.zip'],
      ['push', '--from-url', 'https://files.example/a.zip', '--sha256', 'abc'],
      ['push', '--from-url', 'https://files.example/a.zip', '--header', `: ${token}`],
      ['push', zip, '--header', `Authorization: ${token}`],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err, args.join(' ')).not.toContain('cli-secret-token-77');
    }
    expect(seen).toEqual([]);
  });
});

describe('errors', () => {
  it('prints `modfleet: <error_code>: <description>` and a credentials hint on 401', async () => {
    answers.set(`GET ${routes.nodes}`, () => ({
      status: 401,
      body: { error_code: 'unauthorized', description: 'Authentication required' },
    }));
    const result = await run(['nodes']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^modfleet: unauthorized: Authentication required\nmodfleet: hint: .*--password/);
  });

  it('prints the RS error of a refused request and exits 1', async () => {
    answers.set(`DELETE ${pathTo(routes.fleetArtifact, { moduleName: 'TestModule', version: 9 })}`, () => ({
      status: 404,
      body: { error_code: 'module_artifact_not_found', description: 'The fleet has no artifact TestModule version 9' },
    }));
    const result = await run(['rm', 'TestModule', '9']);
    expect(result).toMatchObject({
      code: 1,
      err: 'modfleet: module_artifact_not_found: The fleet has no artifact TestModule version 9\n',
    });
  });
});

describe('modfleet modules', () => {
  it('create posts the JSON file; list shows a table; delete answers its uid', async () => {
    const file = join(dir, 'module.def.json');
    const definition = { module_name: 'TestModule', version: 1, semantic_version: '0.0.1' };
    await writeFile(file, JSON.stringify(definition));
    const created = { uid: 'f'.repeat(32), ...definition, min_redis_version: '7.0', capabilities: ['types'] };
    answers.set(`POST ${routes.userDefinedModules}`, () => ({ status: 200, body: created }));
    answers.set(`GET ${routes.modules}`, () => ({ status: 200, body: [created] }));
    answers.set(`DELETE ${pathTo(routes.userDefinedModule, { uid: created.uid })}`, () => ({ status: 200, body: {} }));

    const create = await run(['modules', 'create', file]);
    expect(create.out).toBe(`Created module object ${created.uid} (TestModule version 1)\n`);
    expect(JSON.parse(seen[0]!.body)).toEqual(definition);
    expect((await run(['modules', 'list'])).out).toMatch(/^f{32}\s+TestModule\s+1\s+0\.0\.1\s+7\.0\s+types$/m);
    expect(JSON.parse((await run(['modules', 'list', '-o', 'json'])).out)).toEqual([created]);
    expect((await run(['modules', 'delete', created.uid])).out).toBe(`Deleted module object ${created.uid}\n`);
  });

  it('refuses a file that is not JSON with status 2', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"module_name":');
    const result = await run(['modules', 'create', file]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^modfleet: bad_file: .*broken\.json is not valid JSON/);
    expect(seen).toEqual([]);
  });
});

describe('modfleet artifacts', () => {
  const view: FleetArtifactView[] = [
    {
      module_name: 'TestModule',
      version: 123,
      in_fleet: true,
      sha256: 'ab'.repeat(32),
      size: 10,
      target_nodes: 'all',
      nodes: {
        '1': { state: 'installed' },
        '2': { state: 'mismatch', error: 'drift: other bytes' },
        '10': { state: 'pending' },
      },
    },
    {
      module_name: 'Subset',
      version: 1,
      in_fleet: true,
      sha256: 'cd'.repeat(32),
      size: 10,
      target_nodes: [1],
      nodes: { '1': { state: 'missing' }, '2': { state: 'not_targeted' }, '10': { state: 'not_targeted' } },
    },
    {
      module_name: 'Local',
      version: 2,
      in_fleet: false,
      sha256: null,
      size: null,
      target_nodes: [],
      nodes: { '2': { state: 'installed' } },
    },
  ];

  it('draws artifacts against node uids and lists the drift', async () => {
    answers.set(`GET ${routes.fleetArtifacts}`, () => ({ status: 200, body: view }));
    const result = await run(['artifacts']);
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toMatch(/^ARTIFACT\s+SHA256\s+NODE 1\s+NODE 2\s+NODE 10$/);
    expect(lines[1]).toMatch(/^TestModule@123\s+abababababab\s+installed\s+mismatch\s+pending$/);
    expect(lines[2]).toMatch(/^Subset@1\s+cdcdcdcdcdcd\s+missing\s+-\s+-$/);
    expect(lines[3]).toMatch(/^Local@2 \(extra\)\s+-\s+-\s+extra\s+-$/);
    expect(result.out).toContain('TestModule@123 on node 2: mismatch (drift: other bytes)');
    expect(result.out).toContain('Subset@1 on node 1: missing');
    expect(result.out).toContain('modfleet sync');
    // no colour on a pipe
    expect(result.out).not.toContain('\x1b[');
    expect((await run(['artifacts', '--check'])).code).toBe(3);
    expect(JSON.parse((await run(['artifacts', '-o', 'json'])).out)).toEqual(view);
  });
});

describe('modfleet sync and rm', () => {
  it('sync with nothing to do says so and exits 0', async () => {
    answers.set(`POST ${routes.fleetSync}`, () => ({ status: 202, body: { action_uid: 'act-1' } }));
    actionSequence(action('completed', {}, 'sync_module_artifacts'));
    const result = await run(['sync']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Nothing to do');
  });

  it('rm deletes on every node and waits', async () => {
    answers.set(`DELETE ${pathTo(routes.fleetArtifact, { moduleName: 'TestModule', version: 123 })}`, () => ({
      status: 202,
      body: { action_uid: 'act-1' },
    }));
    actionSequence(action('completed', { '1': { status: 'completed', attempts: 1 } }, 'delete_module_artifact'));
    const result = await run(['rm', 'TestModule', '123', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({ name: 'delete_module_artifact', status: 'completed' });
  });
});

describe('modfleet actions', () => {
  it('lists actions and shows one with its pending ops', async () => {
    const one = action('failed', { '1': { status: 'failed', attempts: 5, error: 'boom' } });
    answers.set(`GET ${routes.actions}`, () => ({ status: 200, body: [one] }));
    actionSequence(one);
    const list = await run(['actions']);
    expect(list.out).toMatch(/^UID\s+NAME\s+OBJECT\s+STATUS\s+PROGRESS\s+CREATED\s+BY$/m);
    expect(list.out).toMatch(/^act-1\s+install_module_artifact\s+TestModule@123\s+failed\s+0%\s+\d{4}-\S+ \S+$/m);
    const show = await run(['actions', 'act-1']);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^status\s+failed \(0%\)$/m);
    expect(show.out).toMatch(/^1\s+failed\s+0%\s+5\s+boom$/m);
    expect(show.out).not.toMatch(/started by/);
  });

  it('says who started an action, from the audit log, where the user may read it', async () => {
    const one = action('completed', { '1': { status: 'completed', attempts: 1 } });
    answers.set(`GET ${routes.actions}`, () => ({ status: 200, body: [one] }));
    answers.set(`GET ${routes.logs}?order=desc&limit=1000`, () => ({
      status: 200,
      body: [
        {
          time: '2026-12-07T17:00:00Z',
          type: 'module_artifact_push_started',
          severity: 'INFO',
          user: 'ops@example.com',
          client_addr: '10.0.0.7',
          action_uid: 'act-1',
        },
      ],
    }));
    actionSequence(one);
    expect((await run(['actions'])).out).toMatch(/^act-1\s.*\sops@example\.com$/m);
    expect((await run(['actions', 'act-1'])).out).toMatch(/^started by\s+ops@example\.com from 10\.0\.0\.7$/m);
  });

  it('--watch prints each new state until the action ends; its exit status is the outcome', async () => {
    actionSequence(
      action('queued', { '1': { status: 'queued' } }),
      action('queued', { '1': { status: 'queued' } }),
      action('completed', { '1': { status: 'completed', attempts: 1 } }),
    );
    const result = await run(['actions', 'act-1', '--watch']);
    expect(result.code).toBe(0);
    expect(result.out.match(/^action\s+act-1$/gm)).toHaveLength(2);
    expect(result.out.trimEnd().split('\n').at(-1)).toMatch(/^1\s+completed/);

    actionSequence(action('failed', { '1': { status: 'failed', attempts: 5, error: 'x' } }));
    expect((await run(['actions', 'act-1', '--watch'])).code).toBe(1);
  });
});
