import { redactRedisUrl, routes } from '@modfleet/common';
import { exitWithError } from '../fail.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { superviseServices } from './supervisor.js';
import { passedThrough } from './up-options.js';
import { saveUpContext } from './up-context.js';
import { confirmFresh, loginWorks } from './admin-check.js';
import { effectivePrefix } from './previous-state.js';

/** The variables `up` reads itself (the rest go to every service as given). */
const READ_BY_UP = [
  'MODFLEET_DATA_DIR',
  'MODFLEET_HOST',
  'MODFLEET_PORT',
  'MODFLEET_HTTP_PORT',
  'REDIS_URL',
  'MODFLEET_PREFIX',
  'MODFLEET_ADMIN_EMAIL',
  'MODFLEET_ADMIN_PASSWORD',
  'LOG_LEVEL',
] as const;

export interface UpFlags {
  nodes: number;
  dataDir: string;
  host: string;
  port: number;
  httpPort: number;
  ports?: boolean;
  fresh?: boolean;
  redisUrl: string;
  prefix?: string;
  adminEmail?: string;
  adminPassword?: string;
  logLevel?: string;
}

const withHttp = (service: { url: string; httpUrl: string | undefined }) =>
  service.httpUrl ? `${service.url}  (plain HTTP: ${service.httpUrl})` : service.url;

/** The admin line: the login printed is the one the coordinator just accepted, or it says why not. */
function adminLines(cluster: LocalCluster, accepted: boolean): string[] {
  const { email, password } = cluster.admin;
  if (accepted) return [`  admin login  ${email} / ${password}`];
  return [
    `  admin login  NOT ${email} / ${password}: the coordinator refused it. This prefix keeps the admin an earlier`,
    `               run created, with that run's password (MODFLEET_ADMIN_PASSWORD then). Log in with it, or start`,
    `               empty with modfleet up --fresh.`,
  ];
}

function summary(cluster: LocalCluster, accepted: boolean): string {
  const { email, password } = cluster.admin;
  const first = cluster.agents[0]?.url ?? '';
  const curl = `curl --cacert ${cluster.caFile} -u '${email}:${password}'`;
  return [
    '',
    'modfleet local cluster is up',
    `  coordinator  ${withHttp(cluster.coordinator)}`,
    ...cluster.agents.map((agent, index) => `  node ${index + 1}       ${withHttp(agent)}`),
    `  cluster CA   ${cluster.caFile}`,
    `  redis        ${redactRedisUrl(cluster.redisUrl)}`,
    ...adminLines(cluster, accepted),
    `  state        ${cluster.stateLine}`,
    `  logs         ${cluster.coordinator.logFile.replace(/coordinator\.log$/, '')}`,
    `  status page  ${cluster.coordinator.url}/ (log in with the admin login)`,
    '',
    'Try:',
    `  ${curl} ${cluster.coordinator.url}${routes.nodes}`,
    `  ${curl} -F module=@custom-module.zip ${first}${routes.localArtifacts}   # RS: one node`,
    `  ${curl} -F module=@custom-module.zip ${cluster.coordinator.url}${routes.fleetArtifacts}   # every node`,
    `(curl -k works too, as against RS; the modfleet CLI trusts the cluster CA when run from here, else pass --cacert)`,
    '',
    'A service that crashes is restarted (and said so here); Ctrl-C stops the cluster.',
    '',
  ].join('\n');
}

/** `modfleet up`: the cluster started, supervised until Ctrl-C, its context saved and its summary printed. */
export async function runUp(flags: UpFlags & Record<string, unknown>): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  let cluster: LocalCluster;
  if (flags.fresh) {
    const what = `--fresh removes every Redis key under prefix "${effectivePrefix(flags.prefix)}" (users, nodes, artifacts, actions, databases) and the services' data under ${flags.dataDir}.`;
    if (!(await confirmFresh(what))) {
      say('Nothing removed; not started.');
      process.exit(1);
    }
  }
  try {
    cluster = await startLocalCluster(
      {
        ...flags,
        distinctPorts: flags.ports === true,
        fresh: flags.fresh === true,
        prefix: flags.prefix,
        adminEmail: flags.adminEmail,
        adminPassword: flags.adminPassword,
        logLevel: flags.logLevel,
        serviceEnv: passedThrough(flags, READ_BY_UP),
      },
      say,
    );
  } catch (err) {
    exitWithError(err);
  }
  // Ctrl-C is handled before the banner invites it: a SIGINT between the two would kill `up`
  // alone and leave its services running.
  const supervisor = superviseServices(cluster.services, line => process.stderr.write(`${line}\n`));
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping the local cluster…');
    await supervisor.stop();
    await cluster.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const accepted = await loginWorks(cluster.coordinator.url, cluster.caFile, cluster.admin).catch(() => false);
  if (accepted) await saveUpContext(cluster, say);
  else say('No context saved: the printed login does not work on this cluster.');
  say(summary(cluster, accepted));
}
