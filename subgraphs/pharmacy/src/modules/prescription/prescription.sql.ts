import { ConflictError } from '@hc/graphql';
import { linesValues, type Run } from '../sql.js';

export interface DispenseRequest {
  prescriptionId: string;
  patientId: string;
  branchId: string;
  /** Exactly one of the two. */
  orderId?: string;
  reservationId?: string;
  /** The prescription-only lines of the order or reservation. */
  lines: { itemId: string; quantity: number }[];
}

/** One answer for unknown, another patient's, cancelled, expired and not covering: ids cannot be probed. */
const invalid = () =>
  new ConflictError(
    'This prescription cannot be used for these items: it is unknown, not yours, cancelled, expired, or does not cover them',
    'PRESCRIPTION_INVALID',
  );

/**
 * Takes the units of every prescription-only line from the prescription's balance in ONE
 * statement, inside the caller's transaction (after the stock rows are locked):
 * - the prescription row is read FOR SHARE with every condition in its WHERE (the patient's,
 *   ACTIVE, unexpired). A `prescription.changed` that cancels it waits for this transaction, or
 *   has committed and the row is re-checked against the new version, so nothing is dispensed
 *   after a cancellation commits;
 * - its lines are locked in item-id order (as stock rows are), then raised with a guard
 *   `dispensed + n <= prescribed` (CHECK dispensed <= prescribed is the backstop);
 * - a dispense row per line records who took what (order key checked at commit).
 * Throws CONFLICT PRESCRIPTION_INVALID or PRESCRIPTION_EXHAUSTED; the caller's transaction then
 * rolls back, so no stock or balance moves on a refusal.
 */
export async function dispense(run: Run, req: DispenseRequest): Promise<void> {
  const values = linesValues(req.lines);
  const [r] = await run<{ valid: number; covered: number; taken: number }>(
    `with v(item_id, n) as ${values.sql},
     rx as (
       select id from prescriptions
        where id = ?::uuid and patient_id = ?::uuid and status = 'ACTIVE' and expires_at > now()
        for share
     ), lk as (
       select l.item_id from prescription_lines l join v on v.item_id = l.item_id
        where l.prescription_id = (select id from rx)
        order by l.item_id for update of l
     ), upd as (
       update prescription_lines l set dispensed = l.dispensed + v.n
         from v, lk
        where l.prescription_id = (select id from rx) and l.item_id = v.item_id and lk.item_id = v.item_id
          and l.dispensed + v.n <= l.prescribed
       returning l.item_id, v.n
     ), ins as (
       insert into prescription_dispenses (id, prescription_id, item_id, quantity, order_id, reservation_id, branch_id)
       select gen_random_uuid(), ?::uuid, u.item_id, u.n, ?::uuid, ?::uuid, ?::uuid from upd u
       returning 1
     )
     select (select count(*) from rx)::int as valid, (select count(*) from lk)::int as covered,
            (select count(*) from ins)::int as taken`,
    [
      ...values.params,
      req.prescriptionId,
      req.patientId,
      req.prescriptionId,
      req.orderId ?? null,
      req.reservationId ?? null,
      req.branchId,
    ],
  );
  if (r.valid === 0 || r.covered < req.lines.length) throw invalid();
  if (r.taken < req.lines.length) {
    throw new ConflictError('The prescription has not enough units left for this order', 'PRESCRIPTION_EXHAUSTED');
  }
}

/**
 * CTEs that give back the units of every unreverted dispense of the orders or reservations
 * named by CTE `src(id)`: marks them reverted (so a repeat finds nothing) and lowers the lines,
 * locked in item-id order. Callers run it only after winning the conditional status change, so
 * units come back exactly once.
 */
export function releaseCtes(column: 'order_id' | 'reservation_id'): string {
  return `rel as (
       update prescription_dispenses set reverted_at = now()
        where ${column} in (select id from src) and reverted_at is null
       returning prescription_id, item_id, quantity
     ), rels as (
       select prescription_id, item_id, sum(quantity)::int as q from rel group by prescription_id, item_id
     ), rellk as (
       select l.prescription_id, l.item_id from prescription_lines l
         join rels s on s.prescription_id = l.prescription_id and s.item_id = l.item_id
        order by l.prescription_id, l.item_id for update of l
     ), relback as (
       update prescription_lines l set dispensed = l.dispensed - s.q
         from rels s, rellk k
        where l.prescription_id = s.prescription_id and l.item_id = s.item_id
          and k.prescription_id = s.prescription_id and k.item_id = s.item_id
       returning 1
     )`;
}

/** Gives an order's dispensed units back (after it moved to CANCELLED in this transaction). */
export async function releaseOrder(run: Run, orderId: string): Promise<void> {
  await run(`with src as (select ?::uuid as id), ${releaseCtes('order_id')} select (select count(*) from relback)::int as n`, [
    orderId,
  ]);
}
