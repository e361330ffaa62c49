// Where operator commands find Redis and the databases: the environment first (the same
// variables the services read), else what a running `npm start` recorded (a private Redis and
// embedded databases live on ports chosen at start), else the defaults.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, commonEnv } from '@hc/config';
import { withDatabase } from '@hc/db';
import { launcherEnv } from '../embedded/config.ts';
import { readRuntime } from '../embedded/runtime.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface OpsTarget {
  redisUrl: string;
  redisPrefix: string;
  /** A service's database URL, e.g. databaseUrl('notification'). */
  databaseUrl: (service: string) => string;
}

export function resolveTarget(env: Record<string, string | undefined> = process.env): OpsTarget {
  const common = loadConfig(commonEnv, env);
  const launcher = loadConfig(launcherEnv, env);
  const running = readRuntime(path.resolve(root, launcher.DATA_DIR));
  return {
    // REDIS_SENTINELS: common.REDIS_URL already names the sentinels (loadConfig).
    redisUrl: env.REDIS_SENTINELS ? common.REDIS_URL : env.REDIS_URL || running?.redisUrl || common.REDIS_URL,
    redisPrefix: common.REDIS_PREFIX,
    databaseUrl: (service) =>
      env[`${service.toUpperCase()}_DATABASE_URL`] ||
      running?.databases[service] ||
      withDatabase(env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres', `${service}_service`),
  };
}

/** `--name value` / `--flag` arguments; unknown ones are an error that lists the known ones. */
export function parseFlags(argv: string[], known: Record<string, 'string' | 'boolean'>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    const kind = known[name];
    if (!argv[i].startsWith('--') || !kind) {
      throw new Error(
        `unknown argument ${argv[i]}; known: ${Object.keys(known)
          .map((k) => `--${k}`)
          .join(' ')}`,
      );
    }
    if (kind === 'boolean') out[name] = true;
    else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      out[name] = value;
    }
  }
  return out;
}
