import { Arg, Authorized, Ctx, Field, InputType, Mutation, Resolver } from 'type-graphql';
import { ArrayMaxSize, IsOptional, IsString, MaxLength } from 'class-validator';
import { requireUser } from '@hc/graphql';
import { PatientProfile } from './patient-profile.entity.js';
import type { AuthSubgraphContext } from '../../context.js';

@InputType()
export class PatientProfileInput {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) emergencyContact?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) insuranceInfo?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20000) medicalHistory?: string | null;
  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allergies?: string[] | null;
}

@Resolver()
export class PatientProfileResolver {
  @Authorized('PATIENT')
  @Mutation(() => PatientProfile, { description: 'The patient edits their own health profile.' })
  async updatePatientProfile(
    @Arg('input', () => PatientProfileInput) input: PatientProfileInput,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<PatientProfile> {
    const viewer = requireUser(ctx.auth);
    let profile = await ctx.em.findOne(PatientProfile, { userId: viewer.id });
    if (!profile) {
      profile = new PatientProfile();
      profile.userId = viewer.id;
      ctx.em.persist(profile);
    }
    if (input.emergencyContact !== undefined) profile.emergencyContact = input.emergencyContact;
    if (input.insuranceInfo !== undefined) profile.insuranceInfo = input.insuranceInfo;
    if (input.medicalHistory !== undefined) profile.medicalHistory = input.medicalHistory;
    if (input.allergies != null) profile.allergies = input.allergies.map((a) => a.trim()).filter(Boolean);
    await ctx.em.flush();
    return profile;
  }
}
