import { writeFile } from 'node:fs/promises';
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig, type CommonConfig } from '@hc/config';
import { describeDbError, ensureDatabase, ormConfig } from '@hc/db';
import type { SubgraphDefinition } from './definition.js';

/** `npm run migrate` (up | down | pending | create) for one subgraph. */
export async function migrateCli<Cfg extends CommonConfig & { DATABASE_URL: string }>(
  def: SubgraphDefinition<Cfg, never>,
  env: Record<string, string | undefined>,
  command: string,
): Promise<void> {
  const config = loadConfig(def.envSchema, env);
  try {
    await ensureDatabase(config.DATABASE_URL);
  } catch (error) {
    throw new Error(describeDbError(error, config.DATABASE_URL), { cause: error });
  }
  const options = ormConfig({ databaseUrl: config.DATABASE_URL, entities: def.entities, migrations: def.migrations });
  if (command === 'create') {
    options.migrations = { ...options.migrations, migrationsList: undefined, path: def.migrationsDir, emit: 'ts' };
  }
  const orm = await MikroORM.init(options);
  try {
    if (command === 'up') {
      const done = await orm.migrator.up();
      process.stdout.write(`[${def.name}] applied ${done.length} migration(s)\n`);
    } else if (command === 'down') {
      await orm.migrator.down();
    } else if (command === 'pending') {
      const pending = await orm.migrator.getPending();
      process.stdout.write(pending.map((p) => p.name).join('\n') + '\n');
    } else if (command === 'create') {
      const result = await orm.migrator.create(def.migrationsDir, false, false);
      process.stdout.write(`[${def.name}] wrote ${result.fileName}; add it to migrations/index.ts\n`);
    } else {
      throw new Error(`unknown migrate command: ${command}`);
    }
  } finally {
    await orm.close();
  }
}

/** `npm run emit-schema`: writes the subgraph SDL that composition reads. */
export async function emitSchemaCli(
  def: { name: string; buildSchema: () => Promise<{ sdl: string }> },
  file: string,
): Promise<void> {
  const { sdl } = await def.buildSchema();
  await writeFile(file, sdl);
  process.stdout.write(`[${def.name}] wrote ${file}\n`);
}
