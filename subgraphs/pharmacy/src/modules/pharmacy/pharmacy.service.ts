import { NotFoundError, byKeys, offsetCursor, pageSize, requireUser } from '@hc/graphql';
import { Pharmacy } from './pharmacy.entity.js';
import { PharmacyBranch } from './branch.entity.js';
import type { BranchInput, PharmacyInput } from './pharmacy.inputs.js';
import { myPharmacy } from './access.js';
import { sqlRunner } from '../sql.js';
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

/** Public listing, "top" first, optionally only pharmacies with a branch in `city`. */
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
    ? `where exists (select 1 from pharmacy_branches b where b.pharmacy_id = p.id and lower(b.city) = lower(?))`
    : '';
  const cityParams = city?.trim() ? [city.trim()] : [];
  const rows = await run<{ id: string }>(
    `select p.id from pharmacies p
       left join (select pharmacy_id, count(*) as delivered from orders
                   where status = 'DELIVERED' and updated_at > now() - make_interval(days => ?)
                   group by pharmacy_id) t on t.pharmacy_id = p.id
       ${cityFilter}
      order by coalesce(t.delivered, 0) desc, p.name asc, p.id asc
      limit ? offset ?`,
    [TOP_WINDOW_DAYS, ...cityParams, limit + 1, offset],
  );
  const [{ count }] = await run<{ count: number }>(`select count(*)::int as count from pharmacies p ${cityFilter}`, cityParams);
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
