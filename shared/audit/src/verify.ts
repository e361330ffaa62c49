import { chainHash, GENESIS_HASH, recordFromRow } from './event.js';

/** Runs SQL with $1..$n placeholders and returns the rows (e.g. a node-postgres client's query). */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** node-postgres client/pool → SqlQuery. */
export const pgQuery =
  (client: { query: (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }> }): SqlQuery =>
  async (sql, params) =>
    (await client.query(sql, params)).rows;

export interface BrokenLink {
  service: string;
  /** The first sequence number that does not check out. */
  seq: number;
  /** The event stored at that position, if any. */
  eventId: string | null;
  reason: string;
}

export interface ChainReport {
  service: string;
  ok: boolean;
  /** Links checked (the whole chain when ok). */
  checked: number;
  head: { seq: number; hash: string };
  broken?: BrokenLink;
}

const BATCH = 5_000;

/**
 * Walks a subgraph's `audit_events` in sequence order and recomputes every hash: the first row
 * whose sequence skips, whose previous hash is not the last row's hash, or whose content no longer
 * hashes to its stored hash is reported. Finally the chain head must equal the last row.
 */
export async function verifyChain(query: SqlQuery, service: string): Promise<ChainReport> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  const fail = (seq: number, eventId: string | null, reason: string): ChainReport => ({
    service,
    ok: false,
    checked,
    head: { seq: expectedSeq - 1, hash: prevHash },
    broken: { service, seq, eventId, reason },
  });
  for (;;) {
    const rows = await query(
      `select "id", "service", "seq", "occurred_at", "actor_id", "actor_role", "action", "resource_type", "resource_id",
              "patient_id", "fields", "request_id", "prev_hash", "hash"
         from "audit_events" where "seq" >= $1 order by "seq" limit ${BATCH}`,
      [expectedSeq],
    );
    for (const row of rows) {
      const r = recordFromRow(row);
      if (r.seq !== expectedSeq) return fail(expectedSeq, null, `link ${expectedSeq} is missing (next stored is ${r.seq})`);
      if (r.service !== service) return fail(r.seq, r.id, `recorded by "${r.service}", expected "${service}"`);
      if (r.prevHash !== prevHash) return fail(r.seq, r.id, 'previous hash does not match the preceding link');
      if (chainHash(prevHash, r) !== r.hash) return fail(r.seq, r.id, 'content does not match its hash (altered)');
      prevHash = r.hash;
      expectedSeq += 1;
      checked += 1;
    }
    if (rows.length < BATCH) break;
  }
  const [head] = await query(`select "seq", "hash" from "audit_chain_head"`);
  const headSeq = Number(head?.seq ?? -1);
  if (!head || headSeq !== expectedSeq - 1 || String(head.hash) !== prevHash) {
    // Rows after the last stored one were removed, or the head was moved.
    return fail(
      Math.min(headSeq, expectedSeq - 1) + 1,
      null,
      `chain head (seq ${headSeq}) does not match the last stored link (seq ${expectedSeq - 1})`,
    );
  }
  return { service, ok: true, checked, head: { seq: expectedSeq - 1, hash: prevHash } };
}

export interface CollectedReport {
  service: string;
  ok: boolean;
  /** Source links that should be in auth's collected table by now. */
  expected: number;
  /** Source links not yet relayed (outbox not published or inside the grace period). */
  pending: number;
  missing?: BrokenLink;
}

/**
 * Checks auth's collected copy against one subgraph's own trail: every link that has been relayed
 * (auth's own: all of them; the others: those whose outbox message was published more than
 * `graceSeconds` ago) must be in `audit_collected` once, with the same hash.
 */
export async function verifyCollected(
  source: SqlQuery,
  collected: SqlQuery,
  service: string,
  options: { graceSeconds?: number } = {},
): Promise<CollectedReport> {
  const grace = options.graceSeconds ?? 60;
  const [{ max }] = (await source(`select coalesce(max("seq"), 0) as max from "audit_events"`)) as { max: string }[];
  const total = Number(max);
  let relayed: Set<number> | null = null;
  if (service !== 'auth') {
    const rows = await source(
      `select (e->>'seq')::bigint as seq
         from "outbox" o, jsonb_array_elements(o."payload"->'events') e
        where o."topic" = 'audit.recorded' and o."published_at" is not null
          and o."published_at" < now() - make_interval(secs => $1)`,
      [grace],
    );
    relayed = new Set(rows.map((r) => Number(r.seq)));
  }
  let expected = 0;
  for (let from = 1; from <= total; from += BATCH) {
    const to = from + BATCH - 1;
    const src = await source(`select "id", "seq", "hash" from "audit_events" where "seq" between $1 and $2 order by "seq"`, [
      from,
      to,
    ]);
    const copies = await collected(
      `select "seq", "hash", count(*) over (partition by "seq") as n from "audit_collected"
        where "service" = $1 and "seq" between $2 and $3`,
      [service, from, to],
    );
    const bySeq = new Map(copies.map((c) => [Number(c.seq), c]));
    for (const s of src) {
      const seq = Number(s.seq);
      if (relayed && !relayed.has(seq)) continue;
      expected += 1;
      const copy = bySeq.get(seq);
      const missing = (reason: string): CollectedReport => ({
        service,
        ok: false,
        expected,
        pending: total - (relayed ? relayed.size : total),
        missing: { service, seq, eventId: String(s.id), reason },
      });
      if (!copy) return missing('relayed but not in the collected table');
      if (String(copy.hash) !== String(s.hash)) return missing('collected copy differs from the source link');
      if (Number(copy.n) !== 1) return missing('collected more than once');
    }
  }
  return { service, ok: true, expected, pending: total - expected };
}

/** A chain head exported earlier to storage the database's operators cannot rewrite. */
export interface ChainAnchor {
  service: string;
  seq: number;
  hash: string;
}

/** The current head of a subgraph's chain, to export as an anchor. */
export async function chainHead(query: SqlQuery, service: string): Promise<ChainAnchor> {
  const [head] = await query(`select "seq", "hash" from "audit_chain_head"`);
  return { service, seq: Number(head?.seq ?? 0), hash: String(head?.hash ?? '') };
}

/**
 * Checks an exported anchor against the chain: the link at the anchored sequence must still carry
 * the anchored hash. A chain rewritten from some point on (and rehashed to look whole) fails here.
 */
export async function verifyAnchor(query: SqlQuery, anchor: ChainAnchor): Promise<BrokenLink | null> {
  if (anchor.seq === 0) return null;
  const [row] = await query(`select "id", "hash" from "audit_events" where "seq" = $1`, [anchor.seq]);
  if (!row) return { service: anchor.service, seq: anchor.seq, eventId: null, reason: 'anchored link is missing' };
  if (String(row.hash) !== anchor.hash)
    return { service: anchor.service, seq: anchor.seq, eventId: String(row.id), reason: 'anchored link has a different hash' };
  return null;
}

export interface TrailReport {
  ok: boolean;
  chains: ChainReport[];
  collected: CollectedReport[];
  anchors: BrokenLink[];
}

/**
 * The whole trail: each subgraph's chain, auth's collected copy of it, and optionally anchors
 * exported earlier. `ok` is false when any link is broken or missing.
 */
export async function verifyTrail(
  sources: Record<string, SqlQuery>,
  collected: SqlQuery,
  options: { graceSeconds?: number; anchors?: ChainAnchor[] } = {},
): Promise<TrailReport> {
  const chains: ChainReport[] = [];
  const copies: CollectedReport[] = [];
  const anchors: BrokenLink[] = [];
  for (const [service, query] of Object.entries(sources)) {
    chains.push(await verifyChain(query, service));
    copies.push(await verifyCollected(query, collected, service, options));
    for (const anchor of options.anchors ?? []) {
      if (anchor.service !== service) continue;
      const broken = await verifyAnchor(query, anchor);
      if (broken) anchors.push(broken);
    }
  }
  return {
    ok: chains.every((c) => c.ok) && copies.every((c) => c.ok) && anchors.length === 0,
    chains,
    collected: copies,
    anchors,
  };
}
