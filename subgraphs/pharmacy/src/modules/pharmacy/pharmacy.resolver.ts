import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection } from '@hc/graphql';
import { Pharmacy, VerificationStatus } from './pharmacy.entity.js';
import { PharmacyBranch } from './branch.entity.js';
import { BranchInput, PharmacyInput } from './pharmacy.inputs.js';
import {
  TOP_WINDOW_DAYS,
  addBranch,
  listPharmacies,
  pendingPharmacies,
  pharmacyById,
  reviewPharmacy,
  reviewReasonOf,
  upsertPharmacy,
} from './pharmacy.service.js';
import { UserRef, userRef } from '../user/user.reference.js';
import { load } from '../loaders.js';
import type { PharmacySubgraphContext } from '../../context.js';

@ObjectType()
export class PharmacyConnection extends Connection(Pharmacy) {}

@Resolver(() => Pharmacy)
export class PharmacyResolver {
  @Authorized('PHARMACY')
  @Mutation(() => Pharmacy, { description: "Pharmacy role: creates or updates the caller's pharmacy." })
  upsertPharmacy(
    @Arg('input', () => PharmacyInput) input: PharmacyInput,
    @Ctx() ctx: PharmacySubgraphContext,
  ): Promise<Pharmacy> {
    return upsertPharmacy(ctx, input);
  }

  @Authorized('PHARMACY')
  @Mutation(() => PharmacyBranch, { description: "Pharmacy owner: adds a branch to the caller's pharmacy." })
  addBranch(@Arg('input', () => BranchInput) input: BranchInput, @Ctx() ctx: PharmacySubgraphContext): Promise<PharmacyBranch> {
    return addBranch(ctx, input);
  }

  @Query(() => Pharmacy, { nullable: true, description: 'APPROVED pharmacies; others only for their owner and admins.' })
  pharmacy(@Arg('id', () => ID) id: string, @Ctx() ctx: PharmacySubgraphContext): Promise<Pharmacy | null> {
    return pharmacyById(ctx, id);
  }

  @Authorized('ADMIN')
  @Query(() => PharmacyConnection, { description: 'Admin: pharmacies waiting for review, oldest first.' })
  pendingPharmacies(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<PharmacyConnection> {
    return pendingPharmacies(ctx, first, after);
  }

  @Authorized('ADMIN')
  @Mutation(() => Pharmacy, { description: 'Admin: approves or rejects a pharmacy; the owner is notified.' })
  reviewPharmacy(
    @Arg('pharmacyId', () => ID) pharmacyId: string,
    @Arg('status', () => VerificationStatus) status: VerificationStatus,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<Pharmacy> {
    return reviewPharmacy(ctx, pharmacyId, status, reason);
  }

  @Query(() => PharmacyConnection, {
    description: `Public: pharmacies (with a branch in \`city\` when given), "top" first: most orders delivered in the last ${TOP_WINDOW_DAYS} days.`,
  })
  pharmacies(
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('city', () => String, { nullable: true }) city?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<PharmacyConnection> {
    return listPharmacies(ctx, city, first, after);
  }

  @FieldResolver(() => UserRef)
  owner(@Root() pharmacy: Pharmacy): UserRef {
    return userRef(pharmacy.ownerId);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Why the last review rejected the pharmacy (its owner and admins; null for everyone else).',
  })
  reviewReason(@Root() pharmacy: Pharmacy, @Ctx() ctx: PharmacySubgraphContext): string | null {
    return reviewReasonOf(ctx, pharmacy);
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
    return load.pharmacyOfOwner(ctx, user.id);
  }
}
