import { GENESIS_HASH } from './event.js';

/** Columns shared by a subgraph's own trail and auth's collected copy. */
const EVENT_COLUMNS = `
    "id" uuid not null,
    "service" varchar(30) not null,
    "seq" bigint not null check ("seq" > 0),
    "occurred_at" timestamptz not null,
    "actor_id" uuid null,
    "actor_role" varchar(20) null,
    "action" varchar(10) not null check ("action" in ('READ', 'CREATE', 'UPDATE', 'DELETE')),
    "resource_type" varchar(60) not null,
    "resource_id" varchar(100) null,
    "patient_id" uuid null,
    "fields" text[] not null,
    "request_id" varchar(100) null,
    "prev_hash" char(64) not null,
    "hash" char(64) not null`;

/**
 * Refuses UPDATE, DELETE and TRUNCATE on the table it guards, for every role including the owner:
 * only a superuser who disables the trigger first can change a row, and the hash chain then names it.
 */
const APPEND_ONLY_FUNCTION = `create or replace function "audit_append_only"() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end
$$;`;

function appendOnly(table: string): string[] {
  return [
    `create trigger "${table}_append_only" before update or delete on "${table}" for each row execute function "audit_append_only"();`,
    `create trigger "${table}_no_truncate" before truncate on "${table}" for each statement execute function "audit_append_only"();`,
  ];
}

/**
 * A subgraph's own audit trail, for its migration: the append-only `audit_events` table, the
 * chain head (one row, locked by every writer so concurrent transactions extend the chain one
 * after the other instead of forking it), and the guard triggers.
 */
export const AUDIT_TABLE_SQL: string[] = [
  `create table "audit_events" (${EVENT_COLUMNS},
    constraint "audit_events_pkey" primary key ("id"),
    constraint "audit_events_seq_key" unique ("seq")
  );`,
  `create table "audit_chain_head" (
    "id" boolean not null default true primary key check ("id"),
    "seq" bigint not null,
    "hash" char(64) not null
  );`,
  `insert into "audit_chain_head" ("id", "seq", "hash") values (true, 0, '${GENESIS_HASH}');`,
  APPEND_ONLY_FUNCTION,
  ...appendOnly('audit_events'),
];

/**
 * Auth's collected copy of every subgraph's trail (auth's own events arrive in the same
 * transaction, the others' through the outbox). Append-only too; one row per (service, seq), so
 * a relayed batch delivered twice is stored once. Indexed for `myAccessLog` and `auditEvents`.
 */
export const AUDIT_COLLECTED_TABLE_SQL: string[] = [
  `create table "audit_collected" (${EVENT_COLUMNS},
    "collected_at" timestamptz not null default now(),
    constraint "audit_collected_pkey" primary key ("id"),
    constraint "audit_collected_service_seq_key" unique ("service", "seq")
  );`,
  `create index "audit_collected_patient_idx" on "audit_collected" ("patient_id", "occurred_at" desc, "id" desc);`,
  `create index "audit_collected_actor_idx" on "audit_collected" ("actor_id", "occurred_at" desc, "id" desc);`,
  `create index "audit_collected_time_idx" on "audit_collected" ("occurred_at" desc, "id" desc);`,
  ...appendOnly('audit_collected'),
];
