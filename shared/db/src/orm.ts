import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from '@hc/logger';
import type { Constructor } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import { StatementCounter } from './statement-counter.js';
import { databaseNameOf, ensureDatabase } from './database.js';
import { PinoOrmLogger } from './orm-logger.js';

export type Orm = MikroORM;

export interface OrmOptions {
  databaseUrl: string;
  poolMax?: number;
  entities: Constructor<object>[];
  /** Committed migrations, in order (class list: no file discovery at run time). */
  migrations: { name: string; class: Constructor<Migration> }[];
  logger?: Logger;
  counter?: StatementCounter;
  /** Create the database if missing and apply pending migrations. */
  migrate?: boolean;
}

/** MikroORM settings shared by every subgraph (the app and the migration CLI use the same). */
export function ormConfig(options: OrmOptions): Options {
  const counter = options.counter;
  return {
    clientUrl: options.databaseUrl,
    dbName: databaseNameOf(options.databaseUrl),
    entities: options.entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax ?? 10 },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    discovery: { warnWhenNoEntities: false },
    debug: false,
    loggerFactory: (opts) => new PinoOrmLogger(opts, options.logger),
    onQuery: (sql, params) => {
      counter?.record(sql, params);
      return sql;
    },
    migrations: {
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      migrationsList: options.migrations,
    },
  };
}

/** Connects a subgraph to its own database; with `migrate`, creates it and applies migrations first. */
export async function createOrm(options: OrmOptions): Promise<Orm> {
  if (options.migrate) await ensureDatabase(options.databaseUrl);
  const orm = await MikroORM.init(ormConfig(options));
  if (options.migrate) await orm.migrator.up();
  return orm;
}
