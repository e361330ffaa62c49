import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, NotFoundError, byKeys, loader, offsetCursor, pageSize, requireUser } from '@hc/graphql';
import { Pharmacy } from './pharmacy.entity.js';
import { PharmacyBranch } from './branch.entity.js';
import { BranchInput, PharmacyInput } from './pharmacy.inputs.js';
import { myPharmacy } from './access.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { load } from '../loaders.js';
import { sqlRunner } from '../sql.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class PharmacyConnection extends Connection(Pharmacy) {}

/** "Top" = most orders DELIVERED in the last 30 days (docs/pharmacy.md); ties by name. */
const TOP_WINDOW_DAYS = 30;

@Resolver(() => Pharmacy)
export class PharmacyResolver {
  @Authorized('PHARMACY')
  @Mutation(() => Pharmacy, { description: "Pharmacy role: creates or updates the caller's pharmacy." })
  async upsertPharmacy(
    @Arg('input', () => PharmacyInput) input: PharmacyInput,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Pharmacy> {
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

  @Authorized('PHARMACY')
  @Mutation(() => PharmacyBranch, { description: "Pharmacy owner: adds a branch to the caller's pharmacy." })
  async addBranch(
    @Arg('input', () => BranchInput) input: BranchInput,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<PharmacyBranch> {
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

  @Query(() => Pharmacy, { nullable: true })
  pharmacy(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Pharmacy | null> {
    return load.pharmacy(ctx, id);
  }

  @Query(() => PharmacyConnection, {
    description: `Public: pharmacies (with a branch in \`city\` when given), "top" first: most orders delivered in the last ${TOP_WINDOW_DAYS} days.`,
  })
  async pharmacies(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('city', () => String, { nullable: true }) city?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<PharmacyConnection> {
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

  @FieldResolver(() => UserRef)
  owner(@Root() pharmacy: Pharmacy): UserRef {
    return userRef(pharmacy.ownerId);
  }

  @FieldResolver(() => [PharmacyBranch])
  branches(@Root() pharmacy: Pharmacy, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch[]> {
    return load.branchesOf(ctx, pharmacy.id);
  }
}

@Resolver(() => PharmacyBranch)
export class BranchResolver {
  @FieldResolver(() => Pharmacy)
  async pharmacy(@Root() branch: PharmacyBranch, @Ctx() ctx: PharmacySubgraphContext): Promise<Pharmacy> {
    return (await load.pharmacy(ctx, branch.pharmacyId))!;
  }
}

@Resolver(() => UserRef)
export class UserPharmacyResolver {
  @FieldResolver(() => Pharmacy, { nullable: true, description: 'The pharmacy this user owns (public).' })
  pharmacy(@Root() user: UserRef, @Ctx() ctx: PharmacySubgraphContext): Promise<Pharmacy | null> {
    return loader<string, Pharmacy | null>(ctx, UserPharmacyResolver, async (ids) =>
      byKeys(ids, await ctx.em.find(Pharmacy, { ownerId: { $in: [...ids] } }), (p) => p.ownerId),
    ).load(user.id);
  }
}

export const pharmacyReferences = {
  Pharmacy: { __resolveReference: (ref: { id: string }, ctx: PharmacySubgraphContext) => load.pharmacy(ctx, ref.id) },
  PharmacyBranch: { __resolveReference: (ref: { id: string }, ctx: PharmacySubgraphContext) => load.branch(ctx, ref.id) },
};
