import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { routes } from '@modfleet/common/contract';
import { Agent, request } from 'undici';

/** Whether the coordinator accepts this login (GET /v1/cluster): the banner prints only a login that works. */
export async function loginWorks(
  coordinatorUrl: string,
  caFile: string,
  admin: { email: string; password: string },
): Promise<boolean> {
  const dispatcher = new Agent({ connect: { ca: await readFile(caFile, 'utf8') } });
  try {
    const res = await request(`${coordinatorUrl}${routes.cluster}`, {
      dispatcher,
      headers: { authorization: `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString('base64')}` },
    });
    await res.body.dump();
    return res.statusCode === 200;
  } finally {
    await dispatcher.close();
  }
}

/** On a terminal, asks before `--fresh` removes anything; elsewhere the flag itself is the consent. */
export async function confirmFresh(what: string): Promise<boolean> {
  if (!process.stdin.isTTY) return true;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(`${what}\nContinue? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
