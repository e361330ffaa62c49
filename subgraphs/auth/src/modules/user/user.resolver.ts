import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Address, Connection, DateScalar, requireUser } from '@hc/graphql';
import { Audited } from '@hc/audit';
import { Role, User } from './user.entity.js';
import { UpdateProfileInput } from './user.inputs.js';
import type { UserAddress } from '../address/address.entity.js';
import { PatientProfile } from '../profile/patient-profile.entity.js';
import {
  canSeePersonal,
  currentUser,
  isSelf,
  listUsers,
  updateProfile,
  visibleAddresses,
  visibleEmail,
  visiblePatientProfile,
  visibleUser,
} from './user.service.js';
import type { AuthSubgraphContext } from '../../context.js';

/** A patient's contact details and birth date are PHI when someone else reads them: recorded. */
const AuditedContact = () =>
  Audited('User', (user: User, ctx: AuthSubgraphContext) =>
    user.role === 'PATIENT' && !isSelf(ctx, user.id) ? { resourceId: user.id, patientId: user.id } : null,
  );

@ObjectType()
export class UserConnection extends Connection(User) {}

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null when anonymous.' })
  me(@Ctx() ctx: AuthSubgraphContext): Promise<User | null> {
    return currentUser(ctx);
  }

  @Authorized()
  @Query(() => User, { nullable: true, description: 'Admin, or the user themself.' })
  user(@Arg('id', () => ID) id: string, @Ctx() ctx: AuthSubgraphContext): Promise<User | null> {
    return visibleUser(ctx, id);
  }

  @Authorized('ADMIN')
  @Query(() => UserConnection, { description: 'Admin: all users, newest last.' })
  users(
    @Ctx() ctx: AuthSubgraphContext,
    @Arg('role', () => Role, { nullable: true }) role?: Role | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<UserConnection> {
    return listUsers(ctx.em, role, first, after);
  }

  @Authorized()
  @Mutation(() => User)
  updateProfile(
    @Arg('input', () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<User> {
    return updateProfile(ctx.em, requireUser(ctx.auth).id, input, ctx);
  }

  @FieldResolver(() => String, { description: 'Visible to the user, admins, and staff with a care relationship.' })
  @AuditedContact()
  email(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): Promise<string> {
    return visibleEmail(ctx, user);
  }

  @FieldResolver(() => String, { nullable: true })
  @AuditedContact()
  phone(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx, user.id) ? (user.phone ?? null) : null;
  }

  @FieldResolver(() => DateScalar, { nullable: true })
  @AuditedContact()
  dateOfBirth(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx, user.id) ? (user.dateOfBirth ?? null) : null;
  }

  @FieldResolver(() => String, { nullable: true })
  gender(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): string | null {
    return canSeePersonal(ctx, user.id) ? (user.gender ?? null) : null;
  }

  @FieldResolver(() => [Address], { description: 'The user and admins only.' })
  addresses(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): Promise<UserAddress[]> {
    return visibleAddresses(ctx, user.id);
  }

  @FieldResolver(() => PatientProfile, {
    nullable: true,
    description: 'Health data: the patient, admins, and doctors/assistants who have an appointment with them.',
  })
  patientProfile(@Root() user: User, @Ctx() ctx: AuthSubgraphContext): Promise<PatientProfile | null> {
    return visiblePatientProfile(ctx, user.id);
  }
}
