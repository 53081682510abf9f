import { readFile } from 'node:fs/promises';
import { routes, type HealthAnswer } from '@modfleet/common/contract';
import type { ApiClient } from '../client/api-client.js';

/** Why --chaos will not touch a service: killing it would not be undone by anyone. */
export class NotSupervised extends Error {
  override name = 'NotSupervised';
}

const argv = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);

/** The parent pid, from /proc/<pid>/stat (the command name in parentheses may itself hold spaces). */
async function parentPid(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** `node …/modfleet.js up …` or `node …/cli/dist/main.js up …` (`npm start`). */
const isModfleetCli = (args: string[]) =>
  args.length >= 3 && /(?:modfleet(?:\.js)?|cli\/dist\/main\.js)$/.test(args[1]!);

/**
 * The pid a service's /healthz names, once it is shown to be a `modfleet <command>` on this
 * machine whose parent is `modfleet up`: the supervisor that starts it again after a kill.
 */
export async function supervisedPid(client: ApiClient, command: 'agent' | 'coordinator'): Promise<number> {
  const { pid } = await client.get<HealthAnswer>(routes.healthz);
  if (pid === undefined) {
    throw new NotSupervised(
      `${client.baseUrl} shows no pid (it does so to callers on its own machine only): --chaos only works on a cluster started by \`modfleet up\` here`,
    );
  }
  let own: string[];
  let parent: string[];
  try {
    own = await argv(pid);
    parent = await argv(await parentPid(pid));
  } catch {
    throw new NotSupervised(
      `${client.baseUrl} answers as pid ${pid}, which is not a process on this machine (or /proc cannot be read): --chaos only works on a cluster started by \`modfleet up\` here`,
    );
  }
  if (!isModfleetCli(own) || own[2] !== command) {
    throw new NotSupervised(
      `${client.baseUrl} answers as pid ${pid}, which is not a modfleet ${command} on this machine: --chaos only works on a cluster started by \`modfleet up\` here`,
    );
  }
  if (!isModfleetCli(parent) || parent[2] !== 'up') {
    throw new NotSupervised(
      `the ${command} at ${client.baseUrl} (pid ${pid}) was not started by \`modfleet up\`, so nothing would restart it after a kill: --chaos only works on a cluster started by \`modfleet up\` on this machine`,
    );
  }
  return pid;
}
