import { redactRedisUrl, routes } from '@modfleet/common';
import { InvalidArgumentError, type Command } from 'commander';
import { exitWithError } from '../fail.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { superviseServices } from './supervisor.js';
import { passedThrough, upOptions } from './up-options.js';
import { saveUpContext } from './up-context.js';

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

function positiveInteger(value: string): number {
  const parsed = /^[1-9]\d*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 64)
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return parsed;
}

interface UpFlags {
  nodes: number;
  dataDir: string;
  host: string;
  port: number;
  httpPort: number;
  ports?: boolean;
  redisUrl: string;
  prefix?: string;
  adminEmail?: string;
  adminPassword?: string;
  logLevel?: string;
}

const withHttp = (service: { url: string; httpUrl: string | undefined }) =>
  service.httpUrl ? `${service.url}  (plain HTTP: ${service.httpUrl})` : service.url;

function summary(cluster: LocalCluster): string {
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
    `  admin login  ${email} / ${password}`,
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

export function registerUpCommand(program: Command): void {
  const command = program
    .command('up')
    .description('run a local cluster: a coordinator and N agents as separate processes (what `npm start` runs)')
    .option('-n, --nodes <count>', 'number of agents', positiveInteger, 3)
    .option('--ports', 'one address for every service, each on its own ports, instead of one address per node');
  // One flag per service variable of the env registry (environment values go through the same parsers).
  for (const option of upOptions()) command.addOption(option);
  command.action(async (flags: UpFlags & Record<string, unknown>) => {
    const say = (line: string) => process.stdout.write(`${line}\n`);
    let cluster: LocalCluster;
    try {
      cluster = await startLocalCluster(
        {
          ...flags,
          distinctPorts: flags.ports === true,
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
    say(summary(cluster));
    await saveUpContext(cluster, say);
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
  });
}
