import { redactRedisUrl, routes } from '@modfleet/common';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { exitWithError } from '../fail.js';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { superviseServices } from './supervisor.js';

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

interface UpFlags {
  nodes: number;
  dataDir: string;
  host: string;
  port: number;
  redisUrl: string;
  prefix?: string;
  adminEmail?: string;
  logLevel?: string;
}

function summary(cluster: LocalCluster): string {
  const { email, password } = cluster.admin;
  const first = cluster.agents[0]?.url ?? '';
  return [
    '',
    'modfleet local cluster is up',
    `  coordinator  ${cluster.coordinator.url}`,
    ...cluster.agents.map((agent, index) => `  node ${index + 1}       ${agent.url}`),
    `  redis        ${redactRedisUrl(cluster.redisUrl)}`,
    `  admin login  ${email} / ${password}`,
    `  logs         ${cluster.coordinator.logFile.replace(/coordinator\.log$/, '')}`,
    `  status page  ${cluster.coordinator.url}/ (log in with the admin login)`,
    '',
    'Try:',
    `  curl -u '${email}:${password}' ${cluster.coordinator.url}${routes.nodes}`,
    `  curl -u '${email}:${password}' -F module=@custom-module.zip ${first}${routes.localArtifacts}   # RS: one node`,
    `  curl -u '${email}:${password}' -F module=@custom-module.zip ${cluster.coordinator.url}${routes.fleetArtifacts}   # every node`,
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
      new Option('--host <address>', 'address every service listens on').env('MODFLEET_HOST').default('127.0.0.1'),
    )
    .addOption(
      new Option('--port <port>', 'coordinator port; agents take the next ones')
        .env('MODFLEET_PORT')
        .argParser(port)
        .default(9443),
    )
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
