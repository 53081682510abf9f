import { pathTo, ROLES, routes, type UserView } from '@modfleet/common/contract';
import { Argument, Option, type Command } from 'commander';
import type { ApiClient } from './api-client.js';
import {
  addClientOptions,
  clientCommand,
  runClientCommand,
  UsageError,
  type ClientFlags,
  type Io,
} from './client-context.js';
import { renderTable, toJson } from './output.js';

interface PasswordFlags extends ClientFlags {
  newPassword?: string;
}

const newPasswordOption = () =>
  new Option('--new-password <password>', "the user's password (prefer the variable: flags show in `ps`)").env(
    'MODFLEET_NEW_PASSWORD',
  );

function newPassword(flags: PasswordFlags): string {
  if (flags.newPassword === undefined) {
    throw new UsageError('missing_password', 'give the password with MODFLEET_NEW_PASSWORD or --new-password');
  }
  return flags.newPassword;
}

/** A user by uid or email; an unknown one is a usage error naming the users there are. */
async function findUser(client: ApiClient, who: string): Promise<UserView> {
  const users = await client.get<UserView[]>(routes.users);
  const user = users.find(u => (/^\d+$/.test(who) ? u.uid === Number(who) : u.email === who));
  if (!user) {
    throw new UsageError(
      'user_not_exist',
      `no user ${who}; users: ${users.map(u => `${u.uid} ${u.email}`).join(', ')}`,
    );
  }
  return user;
}

function renderUsers(users: UserView[]): string {
  return renderTable(
    ['uid', 'email', 'name', 'role', 'status'],
    users.map(u => [String(u.uid), u.email, u.name, u.role, u.status]),
  );
}

/** `users list|create|rm|passwd`: /v1/users as RS has it. */
export function registerUsersCommand(program: Command, io: Io): void {
  const users = program.command('users').description('list, create, delete users and set passwords (/v1/users)');
  const write = (output: string, body: unknown, text: string) =>
    io.stdout.write(output === 'json' ? toJson(body) : text);

  addClientOptions(clientCommand(users, 'list', io).description('every user, with role and status')).action(
    async (flags: ClientFlags) => {
      await runClientCommand(io, flags, async ({ client, output }) => {
        const list = await client.get<UserView[]>(routes.users);
        write(output, list, renderUsers(list));
      });
    },
  );

  addClientOptions(
    clientCommand(users, 'create', io)
      .description('create a user')
      .argument('<email>')
      .addOption(new Option('--role <role>', 'RS role').choices(ROLES).makeOptionMandatory())
      .option('--name <name>', 'display name')
      .addOption(newPasswordOption()),
  ).action(async (email: string, flags: PasswordFlags & { role: string; name?: string }) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const body = { email, password: newPassword(flags), role: flags.role, ...(flags.name && { name: flags.name }) };
      const user = await client.post<UserView>(routes.users, body);
      write(output, user, `Created user ${user.uid} ${user.email} (${user.role})\n`);
    });
  });

  addClientOptions(
    clientCommand(users, 'rm', io).description('delete a user').addArgument(new Argument('<uid-or-email>')),
  ).action(async (who: string, flags: ClientFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const user = await findUser(client, who);
      await client.delete(pathTo(routes.user, { uid: user.uid }));
      write(output, { uid: user.uid, deleted: true }, `Deleted user ${user.uid} ${user.email}\n`);
    });
  });

  addClientOptions(
    clientCommand(users, 'passwd', io)
      .description("set a user's password (also unlocks a locked-out user)")
      .addArgument(new Argument('<uid-or-email>'))
      .addOption(newPasswordOption()),
  ).action(async (who: string, flags: PasswordFlags) => {
    await runClientCommand(io, flags, async ({ client, output }) => {
      const password = newPassword(flags);
      const user = await findUser(client, who);
      const updated = await client.put<UserView>(pathTo(routes.user, { uid: user.uid }), { password });
      write(output, updated, `Password of ${updated.email} changed\n`);
    });
  });
}
