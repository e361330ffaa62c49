export { createOrm, ormConfig, type OrmOptions, type Orm } from './orm.js';
export { ensureDatabase, dropDatabase, databaseNameOf, withDatabase, describeDbError } from './database.js';
export { normalizeSql, StatementCounter, type StatementSample } from './statement-counter.js';
export { lockInOrder } from './advisory-lock.js';
export { UuidEntity, CreatedEntity, TimestampedEntity } from './entity-base.js';
export { pruneOnce, retentionTask, outboxRetention, type RetentionRule } from './retention.js';
export { readPlain, readPlainPage } from './read-plain.js';
