import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Address } from '@hc/graphql';
import { Workplace } from './workplace.entity.js';
import { WorkplaceInput } from './workplace.inputs.js';
import * as workplaces from './workplace.service.js';
import { Doctor } from '../doctor/doctor.entity.js';
import { requireDoctor } from '../loaders.js';
import type { DoctorSubgraphContext } from '../../context.js';

@Resolver(() => Workplace)
export class WorkplaceResolver {
  @Authorized('DOCTOR')
  @Mutation(() => Workplace)
  async createWorkplace(@Arg('input', () => WorkplaceInput) input: WorkplaceInput, @Ctx() ctx: DoctorSubgraphContext) {
    return workplaces.createWorkplace(ctx, input);
  }

  @Authorized('DOCTOR')
  @Mutation(() => Workplace)
  async updateWorkplace(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => WorkplaceInput) input: WorkplaceInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    return workplaces.updateWorkplace(ctx, id, input);
  }

  @Authorized('DOCTOR')
  @Mutation(() => Workplace, { description: 'Hides the workplace from the directory and stops new bookings there.' })
  async deactivateWorkplace(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return workplaces.deactivateWorkplace(ctx, id);
  }

  @Authorized('DOCTOR')
  @Mutation(() => Workplace, { description: 'Re-activates a deactivated workplace: listed and bookable again.' })
  async activateWorkplace(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    return workplaces.activateWorkplace(ctx, id);
  }

  @FieldResolver(() => Doctor)
  async doctor(@Root() wp: Workplace, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor> {
    return requireDoctor(ctx, wp.doctorId);
  }

  @FieldResolver(() => Address, { nullable: true })
  address(@Root() wp: Workplace): Address | null {
    return wp.storedAddress ? { id: wp.id, ...wp.storedAddress } : null;
  }
}
