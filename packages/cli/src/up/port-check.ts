import { createServer } from 'node:net';

/** A port a service of the local cluster will listen on, and which service wants it. */
export interface WantedPort {
  host: string;
  port: number;
  owner: string;
}

/** Whether something else already listens there: a quick listen and close on the same address. */
function probe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise(resolve => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * Checked before anything starts, so a taken port is named in one sentence instead of
 * surfacing as "agent 2 exited with code 1" after the others are up.
 */
export async function assertPortsFree(wanted: WantedPort[]): Promise<void> {
  const problems: string[] = [];
  for (const { host, port, owner } of wanted) {
    const err = await probe(host, port);
    if (!err) continue;
    problems.push(
      err.code === 'EADDRINUSE'
        ? `port ${port} on ${host} (for ${owner}) is already in use by another program`
        : `cannot listen on ${host}:${port} (for ${owner}): ${err.code ?? err.message}`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}. Stop what holds it or choose other ports with --port and --http-port.`);
  }
}
