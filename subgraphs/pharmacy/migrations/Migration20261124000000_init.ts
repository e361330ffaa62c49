import { Migration } from '@mikro-orm/migrations';
import { OUTBOX_TABLE_SQL } from '@hc/jobs';

export class Migration20261124000000_init extends Migration {
  override up(): void {
    // Trigram indexes make search tolerant of small typos ("paracetmol").
    this.addSql(`create extension if not exists pg_trgm;`);

    this.addSql(`create table "categories" (
      "id" uuid not null primary key,
      "name" varchar(100) not null,
      "description" text null,
      "is_active" boolean not null default true,
      "created_at" timestamptz not null default now(),
      constraint "categories_name_unique" unique ("name")
    );`);

    this.addSql(`create table "pharmacies" (
      "id" uuid not null primary key,
      "owner_id" uuid not null,
      "name" varchar(200) not null,
      "license_number" varchar(64) not null,
      "address" text not null,
      "phone" varchar(40) not null,
      "email" varchar(254) not null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "pharmacies_owner_id_unique" unique ("owner_id"),
      constraint "pharmacies_license_number_unique" unique ("license_number")
    );`);
    this.addSql(`create index "pharmacies_name_trgm" on "pharmacies" using gin ("name" gin_trgm_ops) with (fastupdate = off);`);

    this.addSql(`create table "pharmacy_branches" (
      "id" uuid not null primary key,
      "pharmacy_id" uuid not null references "pharmacies" ("id") on delete cascade,
      "name" varchar(200) not null,
      "address" text not null,
      "city" varchar(100) not null,
      "phone" varchar(40) null,
      "manager_name" varchar(120) null,
      "created_at" timestamptz not null default now()
    );`);
    this.addSql(`create index "pharmacy_branches_pharmacy_idx" on "pharmacy_branches" ("pharmacy_id");`);
    this.addSql(`create index "pharmacy_branches_city_idx" on "pharmacy_branches" (lower("city"));`);

    this.addSql(`create table "items" (
      "id" uuid not null primary key,
      "category_id" uuid null references "categories" ("id") on delete set null,
      "name" varchar(200) not null,
      "manufacturer" varchar(200) null,
      "description" text null,
      "image_url" text null,
      "is_medicine" boolean not null default false,
      "dosage" varchar(100) null,
      "form" varchar(100) null,
      "prescription_required" boolean not null default false,
      "side_effects" text null,
      "created_by" uuid not null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now()
    );`);
    // Search (search.service.ts): query words are corrected against the vocabulary of item-name
    // words by trigram similarity (a small table), then items are found by full-text match on the
    // corrected words. Matching trigrams against every item name instead rechecks thousands of
    // long names per query (measured ~100 ms at 10,000 items). The catalogue changes rarely, so
    // the GIN indexes skip the pending list (fastupdate off) and are always exact and cheap to plan.
    this.addSql(`alter table "items" add column "search" tsvector generated always as (to_tsvector('simple', "name")) stored;`);
    this.addSql(`create index "items_search_idx" on "items" using gin ("search") with (fastupdate = off);`);
    this.addSql(`create table "item_words" ("word" text not null primary key);`);
    this.addSql(`create index "item_words_trgm" on "item_words" using gin ("word" gin_trgm_ops) with (fastupdate = off);`);
    this.addSql(`create function "items_vocabulary"() returns trigger language plpgsql as $$
      begin
        insert into item_words (word)
        select distinct w from regexp_split_to_table(lower(new.name), '[^[:alnum:]]+') as w where length(w) >= 2
        on conflict do nothing;
        return new;
      end $$;`);
    this.addSql(
      `create trigger "items_vocabulary" after insert or update of "name" on "items" for each row execute function "items_vocabulary"();`,
    );
    this.addSql(`create index "items_products_idx" on "items" ("created_at", "id") where not "prescription_required";`);
    this.addSql(`create index "items_category_idx" on "items" ("category_id");`);

    this.addSql(`create table "stock_entries" (
      "id" uuid not null primary key,
      "branch_id" uuid not null references "pharmacy_branches" ("id") on delete cascade,
      "item_id" uuid not null references "items" ("id") on delete cascade,
      "quantity" int not null,
      "price" numeric(12,2) not null,
      "min_stock_level" int not null default 0,
      "low_notified" boolean not null default false,
      "updated_at" timestamptz not null default now(),
      constraint "stock_entries_branch_item_unique" unique ("branch_id", "item_id"),
      constraint "stock_entries_quantity_check" check ("quantity" >= 0),
      constraint "stock_entries_price_check" check ("price" >= 0),
      constraint "stock_entries_min_level_check" check ("min_stock_level" >= 0)
    );`);
    // Search joins matched items to their offers: covering, so it is an index-only scan (a seq
    // scan of 50,000 stock rows took ~100 ms per search in bench/pharmacy.ts; this takes ~2 ms).
    this.addSql(
      `create index "stock_entries_item_idx" on "stock_entries" ("item_id") include ("branch_id", "quantity", "price") where "quantity" > 0;`,
    );

    this.addSql(`create table "orders" (
      "id" uuid not null primary key,
      "patient_id" uuid not null,
      "pharmacy_id" uuid not null references "pharmacies" ("id"),
      "branch_id" uuid not null references "pharmacy_branches" ("id"),
      "total_amount" numeric(12,2) not null default 0,
      "status" varchar(20) not null default 'PENDING',
      "prescription_id" uuid null,
      "delivery_address" jsonb null,
      "order_date" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "orders_status_check" check ("status" in ('PENDING','CONFIRMED','PREPARING','OUT_FOR_DELIVERY','DELIVERED','CANCELLED')),
      constraint "orders_total_check" check ("total_amount" >= 0)
    );`);
    this.addSql(`create index "orders_patient_idx" on "orders" ("patient_id", "order_date", "id");`);
    this.addSql(`create index "orders_pharmacy_idx" on "orders" ("pharmacy_id", "order_date", "id");`);
    this.addSql(`create index "orders_delivered_idx" on "orders" ("pharmacy_id", "updated_at") where "status" = 'DELIVERED';`);

    this.addSql(`create table "order_items" (
      "order_id" uuid not null references "orders" ("id") on delete cascade,
      "item_id" uuid not null references "items" ("id"),
      "quantity" int not null,
      "unit_price" numeric(12,2) not null,
      primary key ("order_id", "item_id"),
      constraint "order_items_quantity_check" check ("quantity" > 0)
    );`);

    this.addSql(`create table "reservations" (
      "id" uuid not null primary key,
      "patient_id" uuid not null,
      "branch_id" uuid not null references "pharmacy_branches" ("id"),
      "prescription_id" uuid null,
      "status" varchar(20) not null default 'ACTIVE',
      "reserved_at" timestamptz not null default now(),
      "expires_at" timestamptz not null,
      "updated_at" timestamptz not null default now(),
      constraint "reservations_status_check" check ("status" in ('ACTIVE','FULFILLED','EXPIRED','CANCELLED'))
    );`);
    this.addSql(`create index "reservations_patient_idx" on "reservations" ("patient_id", "reserved_at");`);
    this.addSql(
      `create index "reservations_active_idx" on "reservations" ("branch_id", "expires_at") where "status" = 'ACTIVE';`,
    );

    this.addSql(`create table "reservation_items" (
      "reservation_id" uuid not null references "reservations" ("id") on delete cascade,
      "item_id" uuid not null references "items" ("id"),
      "quantity" int not null,
      "unit_price" numeric(12,2) not null,
      primary key ("reservation_id", "item_id"),
      constraint "reservation_items_quantity_check" check ("quantity" > 0)
    );`);
    this.addSql(`create index "reservation_items_item_idx" on "reservation_items" ("item_id");`);

    this.addSql(`create table "deliveries" (
      "id" uuid not null primary key,
      "order_id" uuid not null references "orders" ("id") on delete cascade,
      "address" jsonb null,
      "scheduled_for" timestamptz null,
      "status" varchar(20) not null default 'SCHEDULED',
      "tracking_number" varchar(40) not null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "deliveries_order_unique" unique ("order_id"),
      constraint "deliveries_tracking_unique" unique ("tracking_number"),
      constraint "deliveries_status_check" check ("status" in ('SCHEDULED','IN_TRANSIT','DELIVERED','FAILED'))
    );`);

    for (const sql of OUTBOX_TABLE_SQL) this.addSql(sql);
  }

  override down(): void {
    this.addSql(`drop function if exists "items_vocabulary"() cascade;`);
    for (const t of [
      'outbox',
      'deliveries',
      'reservation_items',
      'reservations',
      'order_items',
      'orders',
      'stock_entries',
      'items',
      'item_words',
      'pharmacy_branches',
      'pharmacies',
      'categories',
    ]) {
      this.addSql(`drop table if exists "${t}";`);
    }
  }
}
