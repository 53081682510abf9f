import { deflateRawSync } from 'node:zlib';
import { routes, signRequest, SIGNATURE_HEADER, type RsErrorBody } from '@modfleet/common';
import fc from 'fast-check';
import yazl from 'yazl';
import { buildArtifactZip, validManifest } from './artifact-zip.js';
import { basicAuth, type Credentials } from './http.js';

/** One generated request: which service, and everything a client controls. */
export interface FuzzRequest {
  target: 'coordinator' | 'agent';
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | FormData | undefined;
  /** A short label for failure messages (bodies are not printed whole). */
  shape: string;
}

export interface FuzzContext {
  admin: Credentials;
  clusterSecret: string;
  /** Zips built once (the bomb takes a moment to compress): picked from by the generators. */
  zips: Record<string, Buffer>;
}

/** yazl refuses `..` and absolute names: such entries are written under a same-length stand-in, then renamed in the bytes. */
function standIn(name: string): string {
  return name.replace(/\.\./g, 'qq').replace(/^\//, 'q');
}

function renameAll(zip: Buffer, from: string, to: string): Buffer {
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  for (let at = out.indexOf(needle); at !== -1; at = out.indexOf(needle, at + 1)) out.write(to, at);
  return out;
}

async function zipOf(entries: [string, Buffer | string][], compress = true): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of entries) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), standIn(name), { compress });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  let bytes: Buffer = Buffer.concat(chunks);
  for (const [name] of entries) if (standIn(name) !== name) bytes = renameAll(bytes, standIn(name), name);
  return bytes;
}

/**
 * A zip whose one entry claims 4 KiB but inflates to 64 MiB of zeros: yazl cannot lie about
 * sizes, so the headers are written here by hand.
 */
function lyingBomb(): Buffer {
  const chunk = deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  const name = Buffer.from('module.so');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(0, 14); // crc (wrong on purpose)
  local.writeUInt32LE(chunk.length, 18);
  local.writeUInt32LE(4096, 22); // claimed uncompressed size
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(chunk.length, 20);
  central.writeUInt32LE(4096, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42);
  const body = Buffer.concat([local, name, chunk]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(body.length, 16);
  return Buffer.concat([body, central, name, end]);
}

/** The zip shapes an attacker or a broken packer sends, built once. */
export async function buildFuzzZips(): Promise<Record<string, Buffer>> {
  const manifest = (over: Record<string, unknown> = {}) => JSON.stringify(validManifest(over));
  const so = Buffer.alloc(2048, 7);
  return {
    valid: await buildArtifactZip({ manifest: { module_name: 'FuzzOk', version: 1 }, so }),
    zipSlip: await zipOf([
      ['module.json', manifest({ module_name: 'Slip' })],
      ['../../evil.so', so],
    ]),
    absolute: await zipOf([
      ['module.json', manifest({ module_name: 'Abs' })],
      ['/tmp/evil.so', so],
    ]),
    nestedSo: await zipOf([
      ['module.json', manifest({ module_name: 'Nested' })],
      ['lib/deep/module.so', so],
    ]),
    twoManifests: await zipOf([
      ['module.json', manifest({ module_name: 'Two' })],
      ['sub/module.json', manifest({ module_name: 'Other' })],
      ['module.so', so],
    ]),
    noSo: await zipOf([['module.json', manifest({ module_name: 'NoSo' })]]),
    noManifest: await zipOf([['module.so', so]]),
    // 64 MiB of zeros deflated to about 64 KiB: a ratio bomb with honest sizes.
    bomb: await zipOf([
      ['module.json', manifest({ module_name: 'Bomb' })],
      ['module.so', Buffer.alloc(0)],
      ['padding.bin', Buffer.alloc(64 * 1024 * 1024)],
    ]),
    lyingBomb: lyingBomb(),
    manifestBomb: await zipOf([
      ['module.json', `{"module_name":"${'A'.repeat(8 * 1024 * 1024)}"}`],
      ['module.so', so],
    ]),
    hugeVersion: await zipOf([
      ['module.json', manifest({ module_name: 'Huge', version: 1e308 })],
      ['module.so', so],
    ]),
    weirdName: await zipOf([
      ['module.json', manifest({ module_name: '../../etc', version: -1 })],
      ['module.so', so],
    ]),
    stored: await zipOf(
      [
        ['module.json', manifest({ module_name: 'Stored' })],
        ['module.so', so],
      ],
      false,
    ),
  };
}

/** Bytes that look like a zip, then are broken in one of the ways disks and networks break them. */
function mutatedZip(ctx: FuzzContext): fc.Arbitrary<{ bytes: Buffer; shape: string }> {
  const names = Object.keys(ctx.zips);
  return fc.oneof(
    fc.constantFrom(...names).map(name => ({ bytes: ctx.zips[name]!, shape: `zip:${name}` })),
    fc.tuple(fc.constantFrom(...names), fc.double({ min: 0, max: 1, noNaN: true })).map(([name, at]) => ({
      bytes: ctx.zips[name]!.subarray(0, Math.floor(ctx.zips[name]!.length * at)),
      shape: `zip:${name}:truncated`,
    })),
    fc
      .tuple(
        fc.constantFrom(...names),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      )
      .map(([name, flips]) => {
        const bytes = Buffer.from(ctx.zips[name]!);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        return { bytes, shape: `zip:${name}:flipped` };
      }),
    fc.uint8Array({ maxLength: 2048 }).map(bytes => ({ bytes: Buffer.from(bytes), shape: 'random-bytes' })),
  );
}

/** What an HTTP client can put in a header value at all (fetch refuses control characters). */
const printable = (value: string) => value.replace(/[^\x20-\x7e]/g, '').trim();

/** Path segments: plausible values, traversal, encodings, overlong and control characters. */
const segment = fc.oneof(
  fc.constantFrom('1', '0', '-1', '2', '999999999999999999999', '1e3', '0x10', 'NaN', 'FuzzOk', 'FuzzOk@1'),
  fc.constantFrom('..', '%2e%2e', '..%2F..%2Fetc', '%00', '%ZZ', '%C0%AE', ' ', '%20', 'a%2Fb', '~', '*'),
  fc.string({ maxLength: 20 }).map(text => encodeURIComponent(text)),
  fc.string({ unit: 'binary', maxLength: 12 }).map(text => encodeURIComponent(text)),
  fc.constant('x'.repeat(5000)),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
);

type BodyKind = 'none' | 'json' | 'multipart';
type RouteName = keyof typeof routes;

/** What each route serves: its methods and the body it expects; every other combination is fuzzed too, less often. */
const ENDPOINTS: Partial<Record<RouteName, { methods: string[]; body: BodyKind }>> = {
  cluster: { methods: ['GET', 'PUT'], body: 'json' },
  users: { methods: ['GET', 'POST'], body: 'json' },
  user: { methods: ['GET', 'PUT', 'DELETE'], body: 'json' },
  nodes: { methods: ['GET'], body: 'none' },
  node: { methods: ['GET', 'DELETE'], body: 'none' },
  modules: { methods: ['GET'], body: 'none' },
  module: { methods: ['GET'], body: 'none' },
  userDefinedModules: { methods: ['POST'], body: 'multipart' },
  userDefinedModule: { methods: ['DELETE'], body: 'none' },
  actions: { methods: ['GET'], body: 'none' },
  action: { methods: ['GET'], body: 'none' },
  localArtifacts: { methods: ['GET', 'POST'], body: 'multipart' },
  localArtifact: { methods: ['DELETE'], body: 'none' },
  localInventory: { methods: ['GET'], body: 'none' },
  fleetArtifacts: { methods: ['GET', 'POST'], body: 'multipart' },
  fleetArtifact: { methods: ['DELETE'], body: 'none' },
  fleetSync: { methods: ['POST'], body: 'json' },
  nodeRegister: { methods: ['POST'], body: 'json' },
  blob: { methods: ['GET'], body: 'none' },
  blobPieces: { methods: ['GET'], body: 'none' },
  peerBlob: { methods: ['GET'], body: 'none' },
  queueDashboard: { methods: ['GET', 'PUT'], body: 'json' },
};
const AGENT_ROUTES = new Set<string>(['localArtifacts', 'localArtifact', 'localInventory', 'peerBlob']);
const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** Plausible values per parameter name (ids that exist, names pushed by the fuzzer), else any segment. */
const PLAUSIBLE: Record<string, fc.Arbitrary<string>> = {
  uid: fc.constantFrom('1', '2', '3', 'abc', '1.5'),
  moduleName: fc.constantFrom('FuzzOk', 'Stored', 'Nested', 'TestModule'),
  version: fc.constantFrom('1', '123', '0', '-1', '1.0', 'v1'),
  sha256: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
};

const endpointArb = fc.constantFrom(...(Object.keys(ENDPOINTS) as RouteName[])).chain(name => {
  const template: string = routes[name];
  const params = [...template.matchAll(/:(\w+)/g)].map(match => match[1]!);
  return fc.record({
    name: fc.constant(name),
    values: fc.tuple(...params.map(param => fc.oneof({ weight: 3, arbitrary: PLAUSIBLE[param] ?? segment }, segment))),
    suffix: fc.oneof(
      { weight: 8, arbitrary: fc.constant('') },
      fc.constantFrom('?deep=true', '?x=%ZZ', '?a[b][c]=1', '?deep=1&deep=2', '/', '//x', '?nodes=1,2'),
    ),
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ENDPOINTS[name]!.methods) },
      fc.constantFrom(...ALL_METHODS),
    ),
    expects: fc.constant(ENDPOINTS[name]!.body),
  });
});

function credentialsArb(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant({ authorization: basicAuth(ctx.admin) }) },
    fc.constant({}),
    fc.string({ maxLength: 40 }).map(password => ({ authorization: basicAuth({ email: ctx.admin.email, password }) })),
    fc
      .tuple(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }))
      .map(([email, password]) => ({ authorization: basicAuth({ email, password }) })),
    fc
      .constantFrom(
        'Basic',
        'Basic ',
        'Basic ====',
        'Bearer abc',
        'Basic Zm9v',
        'basic YTpi',
        `Basic ${'A'.repeat(9000)}`,
      )
      .map(value => ({ authorization: value })),
    fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(value => ({ authorization: printable(value) })),
  );
}

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map(value => JSON.stringify(value)),
  fc
    .record(
      {
        email: fc.oneof(fc.emailAddress(), fc.string(), fc.integer()),
        password: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
        role: fc.oneof(fc.constantFrom('admin', 'db_viewer', 'cluster_viewer', 'nope'), fc.jsonValue()),
        name: fc.oneof(fc.string(), fc.jsonValue()),
        module_load_check: fc.constantFrom('off', 'bogus', 1, null),
        nodes: fc.oneof(fc.string(), fc.array(fc.integer())),
        addr: fc.oneof(fc.webUrl(), fc.string()),
        uid: fc.oneof(fc.integer(), fc.string()),
        instance_id: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map(value => JSON.stringify(value)),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    'null',
    '"str"',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{}}}',
    '1e999999',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

function multipartArb(ctx: FuzzContext): fc.Arbitrary<{ body: FormData; shape: string }> {
  return fc
    .tuple(
      mutatedZip(ctx),
      fc.constantFrom('module', 'module', 'module', 'file', '', 'module[]'),
      fc.option(fc.string({ maxLength: 300 })),
      fc.array(fc.tuple(fc.constantFrom('nodes', 'x', 'module', 'name'), fc.string({ maxLength: 50 })), {
        maxLength: 3,
      }),
      fc.boolean(),
    )
    .map(([zip, field, filename, fields, twice]) => {
      const form = new FormData();
      for (const [name, value] of fields) form.append(name, value);
      const blob = new Blob([zip.bytes], { type: 'application/zip' });
      form.append(field, blob, filename ?? 'module.zip');
      if (twice) form.append(field, blob, 'again.zip');
      return { body: form, shape: `multipart(${field}${twice ? ' x2' : ''}, ${zip.shape})` };
    });
}

/** Raw bodies under a multipart content type that lies about them. */
const brokenMultipart = fc
  .tuple(
    fc.constantFrom(
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary=xyz',
      'multipart/mixed; boundary=xyz',
    ),
    fc.oneof(
      fc.constant('--xyz\r\nContent-Disposition: form-data; name="module"; filename="a.zip"\r\n\r\nPK\u0003\u0004'),
      fc.constant('--xyz\r\nContent-Disposition: form-data; name="module"\r\n\r\n'),
      fc.constant('--xyz--\r\n'),
      fc.constant('--xyz\r\nbroken header\r\n\r\n--xyz--'),
      fc.string({ maxLength: 300 }),
    ),
  )
  .map(([type, body]) => ({ type, body }));

/** Every request shape the fuzzer sends. */
export function fuzzRequestArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const json = jsonBody.map(text => ({ kind: 'json' as const, text }));
  const form = multipartArb(ctx).map(parts => ({ kind: 'form' as const, ...parts }));
  const other = fc.oneof(
    fc.constant({ kind: 'none' as const }),
    brokenMultipart.map(raw => ({ kind: 'raw' as const, ...raw })),
    fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/zip',
          'application/octet-stream',
          'application/x-www-form-urlencoded',
          ';;;',
          'application/json; charset=utf-7',
        ),
        fc.uint8Array({ maxLength: 512 }),
      )
      .map(([type, bytes]) => ({ kind: 'raw' as const, type, body: Buffer.from(bytes) })),
    json,
    form,
  );
  const bodyFor = (expects: BodyKind) =>
    expects === 'none' ? other : fc.oneof({ weight: 3, arbitrary: expects === 'json' ? json : form }, other);
  return endpointArb
    .chain(endpoint =>
      fc.record({
        endpoint: fc.constant(endpoint),
        credentials: credentialsArb(ctx),
        body: bodyFor(endpoint.expects),
        signed: fc.oneof(
          { weight: 2, arbitrary: fc.constant('none') },
          { weight: 2, arbitrary: fc.constant('valid') },
          fc.constant('wrong'),
          fc.string({ maxLength: 80 }),
        ),
        extra: fc.dictionary(
          fc.constantFrom('accept', 'x-request-id', 'range', 'if-none-match', 'content-encoding', 'x-forwarded-for'),
          fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(printable),
          { maxKeys: 3 },
        ),
      }),
    )
    .map(req => {
      const { endpoint } = req;
      let i = 0;
      const path = (routes[endpoint.name] as string).replace(/:(\w+)/g, () => endpoint.values[i++]!) + endpoint.suffix;
      return { ...req, method: endpoint.method, name: endpoint.name, path };
    })
    .filter(req => !protectsFixture(req.method, req.name, req.path))
    .map(req => {
      const headers: Record<string, string> = { ...req.extra, ...req.credentials };
      let body: FuzzRequest['body'];
      let shape: string = req.body.kind;
      if (req.body.kind === 'json') {
        headers['content-type'] = 'application/json';
        body = req.body.text;
      } else if (req.body.kind === 'form') {
        body = req.body.body;
        shape = req.body.shape;
      } else if (req.body.kind === 'raw') {
        headers['content-type'] = req.body.type;
        body = req.body.body;
        shape = `raw(${req.body.type})`;
      }
      if (req.method === 'GET' || req.method === 'HEAD') body = undefined;
      const pathname = req.path.split('?')[0]!;
      const signedBody = typeof body === 'string' || Buffer.isBuffer(body) ? body : '';
      if (req.signed === 'valid')
        headers[SIGNATURE_HEADER] = signRequest(ctx.clusterSecret, req.method, pathname, signedBody);
      else if (req.signed === 'wrong')
        headers[SIGNATURE_HEADER] = signRequest('not-the-secret-0123456789', req.method, pathname, signedBody);
      else if (req.signed !== 'none') headers[SIGNATURE_HEADER] = printable(req.signed);
      return {
        target: AGENT_ROUTES.has(req.name) ? ('agent' as const) : ('coordinator' as const),
        method: req.method,
        path: req.path,
        headers,
        body,
        shape,
      };
    });
}

/**
 * Requests that would take the fuzzer's own footing away (delete or change its admin, remove its
 * one node, switch uploads or load checks): the routes are fuzzed, these few targets are not.
 */
function protectsFixture(method: string, name: string, path: string): boolean {
  if (method !== 'DELETE' && method !== 'PUT' && method !== 'PATCH') return false;
  if (name === 'cluster') return method === 'PUT';
  if (name === 'user' || name === 'node') return /\/1(\/|\?|$)|%31/.test(path);
  return false;
}

export interface FuzzAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * What must hold of every answer: no 5xx, and an RS error body on every 4xx (HEAD has no body)
 * that shows no stack or server path (a zip entry name the client sent may be echoed).
 */
export function answerProblem(req: FuzzRequest, answer: FuzzAnswer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 400 || req.method === 'HEAD') return undefined;
  if (!answer.contentType.startsWith('application/json'))
    return `${answer.status} with ${answer.contentType}: ${answer.body.slice(0, 200)}`;
  try {
    const body = JSON.parse(answer.body) as Partial<RsErrorBody>;
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'description,error_code') return `${answer.status} body keys ${keys}`;
    if (typeof body.error_code !== 'string' || !/^[a-z][a-z0-9_]*$/.test(body.error_code))
      return `error_code ${String(body.error_code)}`;
    if (typeof body.description !== 'string' || !/\S/.test(body.description)) return 'empty description';
    if (/\n\s+at |node_modules|modfleet-test-|\/work\//.test(body.description))
      return `internals in description: ${body.description}`;
  } catch {
    return `${answer.status} body is not JSON: ${answer.body.slice(0, 200)}`;
  }
  return undefined;
}

/** Sends one fuzzed request; a reset or a hang is a failure of its own (status 0). */
export async function sendFuzz(base: string, req: FuzzRequest, timeoutMs = 20_000): Promise<FuzzAnswer> {
  const res = await fetch(`${base}${req.path}`, {
    method: req.method,
    headers: req.headers,
    ...(req.body !== undefined && { body: req.body }),
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'manual',
  });
  const body = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}

export const describeFuzz = (req: FuzzRequest) =>
  `${req.target} ${req.method} ${req.path.slice(0, 200)} [${req.shape}] headers=${JSON.stringify(req.headers).slice(0, 300)}`;

/** Artifacts only: every zip shape, as the admin, to each of the three upload routes. */
export function uploadRequestArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(
      fc.constantFrom(
        { target: 'agent' as const, path: routes.localArtifacts },
        { target: 'coordinator' as const, path: routes.fleetArtifacts },
        { target: 'coordinator' as const, path: routes.userDefinedModules },
      ),
      mutatedZip(ctx),
      fc.option(fc.constantFrom('1', '1,2', 'x', '', '99')),
    )
    .map(([route, zip, nodes]) => {
      const form = new FormData();
      if (nodes !== null) form.append('nodes', nodes);
      form.append('module', new Blob([zip.bytes], { type: 'application/zip' }), 'module.zip');
      return {
        target: route.target,
        method: 'POST',
        path: route.path,
        headers: { authorization: basicAuth(ctx.admin) },
        body: form,
        shape: `upload(${zip.shape}${nodes === null ? '' : `, nodes=${nodes}`})`,
      };
    });
}
