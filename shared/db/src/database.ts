import pg from 'pg';

/** The database name in a postgres:// URL. */
export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`database URL has no database name: ${redactUrl(url)}`);
  return name;
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Turns a connection failure into one line an operator can act on (no stack, no password). */
export function describeDbError(error: unknown, url: string): string {
  const e = error as { code?: string; message?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case 'ECONNREFUSED':
      return `PostgreSQL is not reachable at ${where} (connection refused). Start it, e.g. \`docker compose up -d postgres\`, or set DATABASE_URL.`;
    case 'ENOTFOUND':
      return `PostgreSQL host in ${where} cannot be resolved. Check DATABASE_URL.`;
    case '28P01':
      return `PostgreSQL rejected the password for ${where}. Check the credentials in DATABASE_URL.`;
    case '28000':
      return `PostgreSQL refused the login for ${where}: ${e.message}. Check DATABASE_URL.`;
    case '3D000':
      return `Database in ${where} does not exist and could not be created.`;
    default:
      return `Cannot use PostgreSQL at ${where}: ${e.message ?? String(error)}`;
  }
}

async function adminClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5000 });
  await client.connect();
  return client;
}

/** Creates the URL's database if it does not exist (idempotent, safe under concurrent callers). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const client = await adminClient(url);
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      try {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } catch (error) {
        // 42P04 duplicate_database / 23505: another process created it first.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const client = await adminClient(url);
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
