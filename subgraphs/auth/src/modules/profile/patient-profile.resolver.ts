import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { requireUser } from '@hc/graphql';
import { PatientProfile } from './patient-profile.entity.js';
import { PatientProfileInput } from './patient-profile.inputs.js';
import { updatePatientProfile } from './patient-profile.service.js';
import type { AuthSubgraphContext } from '../../context.js';

@Resolver()
export class PatientProfileResolver {
  @Authorized('PATIENT')
  @Mutation(() => PatientProfile, { description: 'The patient edits their own health profile.' })
  updatePatientProfile(
    @Arg('input', () => PatientProfileInput) input: PatientProfileInput,
    @Ctx() ctx: AuthSubgraphContext,
  ): Promise<PatientProfile> {
    return updatePatientProfile(ctx.em, requireUser(ctx.auth).id, input, ctx);
  }
}
