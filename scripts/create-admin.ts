// npm run create-admin -- --email admin@example.com --name "Ada Admin" [--phone +201001234567]
// Password: ADMIN_PASSWORD env, else piped stdin, else an interactive prompt (not echoed).
// Uses the auth service's own configuration (DATABASE_URL, BCRYPT_COST, ...).
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { authEnv, ConfigError, loadConfig } from '@hc/config';
import { createOrm } from '@hc/db';
import { authSubgraph } from '@hc/auth-subgraph/server';
import { createAdmin, PasswordHasher } from '@hc/auth-subgraph/admin';
import { resolveTarget } from './ops/connect.ts';

async function readPassword(): Promise<string> {
  if (process.env.ADMIN_PASSWORD) return process.env.ADMIN_PASSWORD;
  if (!process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const question = 'Password (8..72 bytes): ';
  process.stdout.write(question);
  // Echo nothing while the password is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stdout.write('\n');
  return answer;
}

const { values } = parseArgs({
  options: { email: { type: 'string' }, name: { type: 'string' }, phone: { type: 'string' } },
});
if (!values.email || !values.name) {
  process.stderr.write('usage: npm run create-admin -- --email <email> --name <name> [--phone <E.164>]\n');
  process.exit(2);
}

let config;
try {
  // The auth database as the operator commands find it (env, a running embedded `npm start`, defaults).
  config = loadConfig(authEnv, { ...process.env, DATABASE_URL: resolveTarget().databaseUrl('auth') });
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`[create-admin] ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
const password = await readPassword();
const orm = await createOrm({
  databaseUrl: config.DATABASE_URL,
  entities: authSubgraph.entities,
  migrations: authSubgraph.migrations,
  migrate: true,
});
try {
  const user = await createAdmin(orm.em.fork(), new PasswordHasher(config.BCRYPT_COST), {
    email: values.email,
    name: values.name,
    password,
    phone: values.phone,
  });
  process.stdout.write(`created ADMIN ${user.email} (${user.id})\n`);
} catch (error) {
  const e = error as { message: string; extensions?: { fields?: { message: string }[] } };
  process.stderr.write(`[create-admin] ${e.extensions?.fields?.[0]?.message ?? e.message}\n`);
  process.exitCode = 1;
} finally {
  await orm.close();
}
