import { BadUserInputError, ConflictError, NotFoundError } from '@hc/graphql';
import type { OrderLineInput } from '../order/order.inputs.js';
import type { Run } from '../sql.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_LINES = 50;
export const MAX_LINE_QUANTITY = 1000;

/** Checks order/reservation lines before any lock is taken; errors name the line (`items[2].quantity`). */
export function validateLines(lines: OrderLineInput[]): void {
  if (lines.length === 0) throw BadUserInputError.field('items', 'Add at least one item');
  if (lines.length > MAX_LINES) throw BadUserInputError.field('items', `At most ${MAX_LINES} lines per order`);
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (!UUID_RE.test(line.itemId)) throw BadUserInputError.field(`items[${i}].itemId`, 'itemId is not a valid id');
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw BadUserInputError.field(`items[${i}].quantity`, 'quantity must be a whole number of at least 1');
    }
    if (line.quantity > MAX_LINE_QUANTITY) {
      throw BadUserInputError.field(`items[${i}].quantity`, `quantity must be at most ${MAX_LINE_QUANTITY}`);
    }
    const key = line.itemId.toLowerCase();
    if (seen.has(key)) throw BadUserInputError.field(`items[${i}].itemId`, 'the same item appears twice; combine the lines');
    seen.add(key);
  });
}

export interface ClaimOptions {
  branchId: string;
  lines: OrderLineInput[];
  prescriptionId?: string | null;
  /** Holds of this patient's reservations at the branch are theirs to use (orders), not others' (reservations pass null). */
  ownHoldsOf: string | null;
  /** Asked only when a prescription-only item has no prescriptionId (orders fall back to the patient's reservation). */
  prescriptionFallback?: () => Promise<string | null>;
}

export interface LockedStock {
  itemId: string;
  name: string;
  quantity: number;
  minStockLevel: number;
}

/**
 * The shared first half of placeOrder and reserveItems, inside the caller's transaction:
 * validates the lines against the catalogue and the branch, locks the branch's stock rows in
 * item-id order (so concurrent multi-line orders queue instead of deadlocking), then checks
 * availability (on hand minus other patients' active holds) with a fresh snapshot taken after
 * the locks are held. Throws NOT_FOUND for an unknown or unapproved pharmacy's branch,
 * BAD_USER_INPUT for unknown/unstocked items, CONFLICT/PRESCRIPTION_REQUIRED for a
 * prescription-only line without a prescription, CONFLICT/INSUFFICIENT_STOCK naming the first
 * short item. The prescription itself is checked by `dispense` (prescription.sql.ts).
 */
export interface Claim {
  pharmacyId: string;
  pharmacyOwnerId: string;
  /** Null when no line needs a prescription (a prescriptionId given for over-the-counter lines is ignored). */
  prescriptionId: string | null;
  /** The lines whose item needs a prescription, to dispense against prescriptionId. */
  prescriptionLines: { itemId: string; quantity: number }[];
  stock: Map<string, LockedStock>;
}

export async function lockAndCheck(run: Run, opts: ClaimOptions): Promise<Claim> {
  const { branchId, lines } = opts;
  const ids = lines.map((l) => l.itemId.toLowerCase());
  // One round trip for the branch, its pharmacy and the items (a branch row with null item when none exist).
  const rows = await run<{
    pharmacyId: string;
    ownerId: string;
    approved: boolean;
    id: string | null;
    name: string;
    prescriptionRequired: boolean;
  }>(
    `select b.pharmacy_id as "pharmacyId", p.owner_id as "ownerId", p.verification_status = 'APPROVED' as approved,
            i.id, i.name, i.prescription_required as "prescriptionRequired"
       from pharmacy_branches b join pharmacies p on p.id = b.pharmacy_id left join items i on i.id in (?) where b.id = ?`,
    [ids, branchId],
  );
  // A pharmacy not (yet) approved does not exist for patients: same answer as an unknown branch.
  if (rows.length === 0 || !rows[0].approved) throw new NotFoundError('Branch');
  const items = rows.filter((r) => r.id !== null);
  const itemById = new Map(items.map((i) => [i.id!, i]));
  ids.forEach((id, i) => {
    if (!itemById.has(id)) throw BadUserInputError.field(`items[${i}].itemId`, `Unknown item ${id}`);
  });
  const prescriptionLines = lines
    .map((l) => ({ itemId: l.itemId.toLowerCase(), quantity: l.quantity }))
    .filter((l) => itemById.get(l.itemId)!.prescriptionRequired)
    .sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  let prescriptionId = prescriptionLines.length ? (opts.prescriptionId?.toLowerCase() ?? null) : null;
  if (prescriptionLines.length && !prescriptionId) prescriptionId = (await opts.prescriptionFallback?.()) ?? null;
  if (prescriptionLines.length && !prescriptionId) {
    const needs = itemById.get(prescriptionLines[0].itemId)!;
    throw new ConflictError(`${needs.name} needs a prescription: pass prescriptionId`, 'PRESCRIPTION_REQUIRED', {
      item: needs.name,
      itemId: needs.id,
    });
  }

  const locked = await run<{ itemId: string; quantity: number; minStockLevel: number }>(
    `select item_id as "itemId", quantity, min_stock_level as "minStockLevel"
       from stock_entries where branch_id = ? and item_id in (?) order by item_id for update`,
    [branchId, ids],
  );
  const stock = new Map(locked.map((s) => [s.itemId, { ...s, name: itemById.get(s.itemId)!.name }]));
  ids.forEach((id, i) => {
    if (!stock.has(id)) {
      throw BadUserInputError.field(`items[${i}].itemId`, `${itemById.get(id)!.name} is not sold at this branch`);
    }
  });

  // A separate statement: in READ COMMITTED it sees holds committed while we waited for the locks.
  const held = await run<{ itemId: string; held: number }>(
    `select ri.item_id as "itemId", sum(ri.quantity)::int as held
       from reservation_items ri join reservations r on r.id = ri.reservation_id
      where r.branch_id = ? and r.status = 'ACTIVE' and r.expires_at > now() and ri.item_id in (?)
        and r.patient_id <> ?::uuid
      group by ri.item_id`,
    [branchId, ids, opts.ownHoldsOf ?? '00000000-0000-0000-0000-000000000000'],
  );
  const heldBy = new Map(held.map((h) => [h.itemId, h.held]));
  for (const line of lines) {
    const s = stock.get(line.itemId.toLowerCase())!;
    const available = Math.max(0, s.quantity - (heldBy.get(s.itemId) ?? 0));
    if (available < line.quantity) {
      throw new ConflictError(
        `Not enough ${s.name} in stock: ${available} available, ${line.quantity} requested`,
        'INSUFFICIENT_STOCK',
        { item: s.name, itemId: s.itemId },
      );
    }
  }
  return { pharmacyId: rows[0].pharmacyId, pharmacyOwnerId: rows[0].ownerId, prescriptionId, prescriptionLines, stock };
}
