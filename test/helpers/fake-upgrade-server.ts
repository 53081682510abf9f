import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BdbObject, ModuleObject, StateMachineObject } from '@modfleet/common';

export interface SeenRequest {
  method: string;
  path: string;
  body: unknown;
}

export type Answer = { status: number; json: unknown } | undefined;

export interface FakeUpgradeServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/**
 * A coordinator that answers the upgrade contract and nothing else: GET /v1/bdbs[/<uid>], GET
 * /v1/modules, and whatever `answer` says for the rest (the upgrade POST, the action's polls).
 * It stands in until the real upgrade route exists; the CLI cannot tell the difference.
 */
export async function startFakeUpgradeServer(setup: {
  bdbs: BdbObject[];
  modules?: ModuleObject[];
  answer: (request: SeenRequest) => Answer;
}): Promise<FakeUpgradeServer> {
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then(body => {
      const seen = { method: req.method ?? 'GET', path: req.url ?? '/', body };
      requests.push(seen);
      const bdb = /^\/v1\/bdbs\/(\d+)$/.exec(seen.path);
      const found = bdb && setup.bdbs.find(b => b.uid === Number(bdb[1]));
      const answer: Answer =
        seen.method === 'GET' && seen.path === '/v1/bdbs'
          ? { status: 200, json: setup.bdbs }
          : seen.method === 'GET' && seen.path === '/v1/modules'
            ? { status: 200, json: setup.modules ?? [] }
            : seen.method === 'GET' && found
              ? { status: 200, json: found }
              : setup.answer(seen);
      const { status, json } = answer ?? {
        status: 404,
        json: { error_code: 'not_found', description: `${seen.method} ${seen.path}` },
      };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}

/** A state machine that passes one more of `states` each time it is read, then ends as `end` says. */
export function advancingMachine(
  actionUid: string,
  states: { state: string; detail?: string }[],
  extra: (shown: number) => Partial<StateMachineObject> = () => ({}),
): () => StateMachineObject {
  let reads = 0;
  return () => {
    reads = Math.min(reads + 1, states.length);
    const passed = states.slice(0, reads).map((entry, i) => ({ ...entry, at: 1_765_000_000 + i }));
    const last = passed[passed.length - 1]!;
    const ended = last.state === 'completed' || last.state === 'failed';
    return {
      action_uid: actionUid,
      name: 'SMUpgradeBDB',
      object_name: 'bdb:1',
      status: ended ? (last.state as 'completed' | 'failed') : 'active',
      progress: Math.round((100 * reads) / states.length),
      heartbeat: last.at,
      creation_time: 1_765_000_000,
      state: last.state,
      states: passed,
      ...extra(reads),
    };
  };
}
