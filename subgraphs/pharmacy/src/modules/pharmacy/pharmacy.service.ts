import { BadUserInputError, NotFoundError, byKeys, offsetCursor, pageSize, requireUser, toConnection } from '@hc/graphql';
import { outbox } from '@hc/jobs';
import { Pharmacy, VerificationStatus } from './pharmacy.entity.js';
import { PharmacyBranch } from './branch.entity.js';
import type { BranchInput, PharmacyInput } from './pharmacy.inputs.js';
import { myPharmacy } from './access.js';
import { sqlRunner } from '../sql.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

/** "Top" = most orders DELIVERED in the last 30 days (docs/pharmacy.md); ties by name. */
export const TOP_WINDOW_DAYS = 30;

export interface PharmacyPage {
  nodes: Pharmacy[];
  totalCount: number;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

/** Creates or updates the caller's (PHARMACY role) pharmacy. */
export async function upsertPharmacy(ctx: PharmacySubgraphContext, input: PharmacyInput): Promise<Pharmacy> {
  const user = requireUser(ctx.auth);
  let pharmacy = await ctx.em.findOne(Pharmacy, { ownerId: user.id });
  if (!pharmacy) {
    pharmacy = new Pharmacy();
    pharmacy.ownerId = user.id;
    ctx.em.persist(pharmacy);
  } else if (pharmacy.verificationStatus === VerificationStatus.REJECTED) {
    // Corrected details go back to the admins' queue.
    pharmacy.verificationStatus = VerificationStatus.PENDING;
  }
  Object.assign(pharmacy, {
    name: input.name.trim(),
    licenseNumber: input.licenseNumber.trim(),
    address: input.address.trim(),
    phone: input.phone.trim(),
    email: input.email.trim().toLowerCase(),
  });
  await ctx.em.flush();
  return pharmacy;
}

/** Adds a branch to the caller's pharmacy; NOT_FOUND when the caller has none yet. */
export async function addBranch(ctx: PharmacySubgraphContext, input: BranchInput): Promise<PharmacyBranch> {
  const pharmacy = await myPharmacy(ctx);
  if (!pharmacy) throw new NotFoundError('Pharmacy');
  const branch = Object.assign(new PharmacyBranch(), {
    pharmacyId: pharmacy.id,
    name: input.name.trim(),
    address: input.address.trim(),
    city: input.city.trim(),
    phone: input.phone ?? null,
    managerName: input.managerName ?? null,
  });
  await ctx.em.persist(branch).flush();
  return branch;
}

/** Public listing of APPROVED pharmacies, "top" first, optionally only pharmacies with a branch in `city`. */
export async function listPharmacies(
  ctx: PharmacySubgraphContext,
  city: string | null | undefined,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<PharmacyPage> {
  const limit = pageSize(first);
  const offset = offsetCursor.decode(after);
  const run = sqlRunner(ctx.em);
  const cityFilter = city?.trim()
    ? `and exists (select 1 from pharmacy_branches b where b.pharmacy_id = p.id and lower(b.city) = lower(?))`
    : '';
  const cityParams = city?.trim() ? [city.trim()] : [];
  const rows = await run<{ id: string }>(
    `select p.id from pharmacies p
       left join (select pharmacy_id, count(*) as delivered from orders
                   where status = 'DELIVERED' and updated_at > now() - make_interval(days => ?)
                   group by pharmacy_id) t on t.pharmacy_id = p.id
      where p.verification_status = 'APPROVED' ${cityFilter}
      order by coalesce(t.delivered, 0) desc, p.name asc, p.id asc
      limit ? offset ?`,
    [TOP_WINDOW_DAYS, ...cityParams, limit + 1, offset],
  );
  const [{ count }] = await run<{ count: number }>(
    `select count(*)::int as count from pharmacies p where p.verification_status = 'APPROVED' ${cityFilter}`,
    cityParams,
  );
  const page = rows.slice(0, limit).map((r) => r.id);
  const found = await ctx.em.find(Pharmacy, { id: { $in: page } });
  const nodes = byKeys(page, found, (p) => p.id).filter((p): p is Pharmacy => p !== null);
  return {
    nodes,
    totalCount: count,
    pageInfo: {
      endCursor: nodes.length ? offsetCursor.encode(offset + nodes.length) : null,
      hasNextPage: rows.length > limit,
    },
  };
}

/** Why the last review rejected the pharmacy: its owner and admins only (null to others and when none). */
export function reviewReasonOf(ctx: PharmacySubgraphContext, pharmacy: Pharmacy): string | null {
  const user = ctx.auth.user;
  return user && (user.role === 'ADMIN' || user.id === pharmacy.ownerId) ? (pharmacy.reviewReason ?? null) : null;
}

/** One pharmacy: APPROVED ones for everyone; others only for their owner and admins (null otherwise). */
export async function pharmacyById(ctx: PharmacySubgraphContext, id: string): Promise<Pharmacy | null> {
  const pharmacy = await load.pharmacy(ctx, id);
  if (!pharmacy || pharmacy.verificationStatus === VerificationStatus.APPROVED) return pharmacy;
  const user = ctx.auth.user;
  return user && (user.role === 'ADMIN' || user.id === pharmacy.ownerId) ? pharmacy : null;
}

/** Admin: pharmacies waiting for review, oldest first. */
export async function pendingPharmacies(
  ctx: PharmacySubgraphContext,
  first: number | null | undefined,
  after: string | null | undefined,
): Promise<PharmacyPage> {
  const cursor = await ctx.em.findByCursor(Pharmacy, {
    where: { verificationStatus: VerificationStatus.PENDING },
    first: pageSize(first),
    after: after ?? undefined,
    orderBy: { createdAt: 'asc', id: 'asc' },
  });
  return toConnection(cursor);
}

/**
 * Admin: approves or rejects a pharmacy (any status to any other; a repeat of the current status
 * changes nothing and tells nobody). The owner hears of it through the outbox, in the same
 * transaction as the change.
 */
export async function reviewPharmacy(
  ctx: PharmacySubgraphContext,
  pharmacyId: string,
  status: VerificationStatus,
  reason: string | null | undefined,
): Promise<Pharmacy> {
  const why = reason?.trim() || null;
  if (why && why.length > 1000) throw BadUserInputError.field('reason', 'reason must be at most 1000 characters');
  if (status === VerificationStatus.PENDING) throw BadUserInputError.field('status', 'Review to APPROVED or REJECTED');
  if (status === VerificationStatus.REJECTED && !why)
    throw BadUserInputError.field('reason', 'a reason is required when rejecting');
  await ctx.em.transactional(async (tx) => {
    const [row] = await sqlRunner(tx)<{ ownerId: string; name: string; reviewedAt: Date }>(
      `update pharmacies set verification_status = ?, review_reason = ?, reviewed_at = now(), updated_at = now()
        where id = ? and verification_status <> ?
       returning owner_id as "ownerId", name, reviewed_at as "reviewedAt"`,
      [status, why, pharmacyId, status],
    );
    if (!row) {
      if (!(await tx.findOne(Pharmacy, { id: pharmacyId }))) throw new NotFoundError('Pharmacy');
      return;
    }
    outbox.notify(tx, {
      idempotencyKey: `pharmacy:${pharmacyId}:reviewed:${new Date(row.reviewedAt).toISOString()}`,
      userId: row.ownerId,
      template: 'pharmacy.reviewed',
      variables: { pharmacyName: row.name, status, reason: why },
    });
  });
  ctx.em.clear();
  return ctx.em.findOneOrFail(Pharmacy, { id: pharmacyId });
}
