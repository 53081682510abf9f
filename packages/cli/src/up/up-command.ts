import { redactRedisUrl, routes } from '@modfleet/common';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { exitWithError } from '../fail.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { superviseServices } from './supervisor.js';
import { saveUpContext } from './up-context.js';

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 64)
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return parsed;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535 - 64)
    throw new InvalidArgumentError('must be a port number');
  return parsed;
}

function portOrOff(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535 - 64)
    throw new InvalidArgumentError('must be a port number, or 0 for none');
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
  program
    .command('up')
    .description('run a local cluster: a coordinator and N agents as separate processes (what `npm start` runs)')
    .option('-n, --nodes <count>', 'number of agents', positiveInteger, 3)
    // Environment values go through the same parsers as flags (commander's Option.env).
    .addOption(
      new Option('--data-dir <path>', 'where the cluster keeps artifacts, logs and (if needed) a private Redis')
        .env('MODFLEET_DATA_DIR')
        .default('.modfleet'),
    )
    .addOption(
      new Option(
        '--host <address>',
        'address the services listen on; 127.0.0.1 on Linux gives node N its own 127.0.0.(N+1) instead',
      )
        .env('MODFLEET_HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option(
        '--port <port>',
        'HTTPS port: every service on it, each at its own loopback address (Linux); with --ports the coordinator takes P and node N P+N',
      )
        .env('MODFLEET_PORT')
        .argParser(port)
        .default(9443),
    )
    .addOption(
      new Option('--http-port <port>', 'plain HTTP port beside HTTPS, assigned like --port (0: none)')
        .env('MODFLEET_HTTP_PORT')
        .argParser(portOrOff)
        .default(8080),
    )
    .option('--ports', 'one address for every service, each on its own ports, instead of one address per node')
    .addOption(
      new Option('--redis-url <url>', 'Redis to use; if it does not answer, a private redis-server is started')
        .env('REDIS_URL')
        .default('redis://127.0.0.1:6379'),
    )
    .addOption(new Option('--prefix <prefix>', 'Redis key and queue prefix').env('MODFLEET_PREFIX'))
    .addOption(new Option('--admin-email <email>', 'admin email').env('MODFLEET_ADMIN_EMAIL'))
    .addOption(new Option('--log-level <level>', 'service log level').env('LOG_LEVEL'))
    .action(async (flags: UpFlags) => {
      const say = (line: string) => process.stdout.write(`${line}\n`);
      let cluster: LocalCluster;
      try {
        cluster = await startLocalCluster(
          {
            ...flags,
            distinctPorts: flags.ports === true,
            prefix: flags.prefix,
            adminEmail: flags.adminEmail,
            adminPassword: process.env.MODFLEET_ADMIN_PASSWORD,
            logLevel: flags.logLevel,
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
