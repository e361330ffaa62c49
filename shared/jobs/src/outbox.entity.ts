import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A message waiting to leave this service's database (transactional outbox). Written in the
 * same transaction as the business change; moved to BullMQ by the relay.
 */
@Entity({ tableName: 'outbox' })
export class OutboxMessage {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ length: 100 })
  topic!: string;

  @Property({ type: 'jsonb' })
  payload!: object;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  publishedAt?: Date | null;

  @Property({ default: 0 })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;
}

/** The outbox table, for each producing subgraph's migration. */
/** For the outbox reconciler's scan of recently published rows (a migration in each subgraph). */
export const OUTBOX_PUBLISHED_INDEX_SQL = `create index if not exists "outbox_published_idx" on "outbox" ("published_at", "id") where "published_at" is not null;`;

export const OUTBOX_TABLE_SQL = [
  `create table "outbox" (
    "id" uuid not null primary key,
    "topic" varchar(100) not null,
    "payload" jsonb not null,
    "created_at" timestamptz not null default now(),
    "published_at" timestamptz null,
    "attempts" int not null default 0,
    "last_error" text null
  );`,
  `create index "outbox_pending_idx" on "outbox" ("created_at") where "published_at" is null;`,
];
