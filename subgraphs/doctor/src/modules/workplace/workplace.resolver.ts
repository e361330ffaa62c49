import type { EntityManager } from '@mikro-orm/postgresql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Address, BadUserInputError, NotFoundError, byKeys, loader } from '@hc/graphql';
import { Workplace } from './workplace.entity.js';
import { WorkplaceInput } from './workplace.inputs.js';
import { Doctor } from '../doctor/doctor.entity.js';
import { canSeePrivateDoctor, doctorById } from '../doctor/doctor.resolver.js';
import { isValidTimeZone, workingHoursProblems } from '../availability/slots.js';
import { requireMyDoctor } from '../access.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Batched: workplaces by id. */
export const workplaceById = (ctx: DoctorSubgraphContext, id: string) =>
  loader<string, Workplace | null>(ctx, workplaceById, async (ids) =>
    byKeys(ids, await ctx.em.find(Workplace, { id: { $in: [...ids] } }), (w) => w.id),
  ).load(id);

function applyInput(wp: Workplace, input: WorkplaceInput): void {
  const problems = workingHoursProblems(input.workingHours);
  if (!isValidTimeZone(input.timeZone))
    problems.unshift({ field: 'timeZone', message: 'timeZone must be an IANA zone, e.g. Africa/Cairo' });
  if (input.consultationFee != null && input.consultationFee.startsWith('-'))
    problems.push({ field: 'consultationFee', message: 'consultationFee must not be negative' });
  if (input.consultationFee != null && !/^\d+(\.\d{1,2})?$/.test(input.consultationFee))
    problems.push({ field: 'consultationFee', message: 'consultationFee has at most 2 decimals' });
  if (problems.length > 0) throw new BadUserInputError('Invalid workplace', problems);
  wp.name = input.name.trim();
  wp.type = input.type;
  wp.isPrimary = input.isPrimary ?? false;
  wp.phoneNumber = input.phoneNumber ?? null;
  wp.email = input.email ?? null;
  wp.description = input.description ?? null;
  wp.website = input.website ?? null;
  wp.timeZone = input.timeZone;
  wp.workingHours = input.workingHours.map((h) => ({ day: h.day, start: h.start, end: h.end }));
  wp.slotDurationMinutes = input.slotDurationMinutes ?? 30;
  wp.consultationFee = input.consultationFee ?? null;
  wp.currency = input.currency ?? null;
  wp.servicesOffered = input.servicesOffered ?? [];
  wp.insuranceAccepted = input.insuranceAccepted ?? [];
  wp.storedAddress = input.address
    ? {
        type: input.address.type,
        street: input.address.street,
        city: input.address.city,
        state: input.address.state ?? null,
        postalCode: input.address.postalCode ?? null,
        country: input.address.country,
        isDefault: input.address.isDefault ?? false,
      }
    : null;
  wp.city = input.address?.city.trim() ?? null;
}

/** The caller's own workplace or NOT_FOUND (other doctors' workplaces are not revealed). */
async function ownWorkplace(ctx: DoctorSubgraphContext, doctor: Doctor, id: string): Promise<Workplace> {
  const wp = await ctx.em.findOne(Workplace, { id, doctorId: doctor.id });
  if (!wp) throw new NotFoundError('Workplace');
  return wp;
}

/** Only one primary workplace per doctor. */
/** Runs on the caller's transaction so the primary flag moves atomically. */
async function clearOtherPrimary(em: EntityManager, wp: Workplace) {
  if (wp.isPrimary) await em.nativeUpdate(Workplace, { doctorId: wp.doctorId, id: { $ne: wp.id } }, { isPrimary: false });
}

@Resolver(() => Workplace)
export class WorkplaceResolver {
  @Authorized('DOCTOR')
  @Mutation(() => Workplace)
  async createWorkplace(@Arg('input', () => WorkplaceInput) input: WorkplaceInput, @Ctx() ctx: DoctorSubgraphContext) {
    const doctor = await requireMyDoctor(ctx);
    const wp = new Workplace();
    wp.doctorId = doctor.id;
    applyInput(wp, input);
    await ctx.em.transactional(async (em) => {
      em.persist(wp);
      await em.flush();
      await clearOtherPrimary(em, wp);
    });
    return wp;
  }

  @Authorized('DOCTOR')
  @Mutation(() => Workplace)
  async updateWorkplace(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => WorkplaceInput) input: WorkplaceInput,
    @Ctx() ctx: DoctorSubgraphContext,
  ) {
    const doctor = await requireMyDoctor(ctx);
    const wp = await ownWorkplace(ctx, doctor, id);
    applyInput(wp, input);
    await ctx.em.transactional(async (em) => {
      await em.flush();
      await clearOtherPrimary(em, wp);
    });
    return wp;
  }

  @Authorized('DOCTOR')
  @Mutation(() => Workplace, { description: 'Hides the workplace from the directory and stops new bookings there.' })
  async deactivateWorkplace(@Arg('id', () => ID) id: string, @Ctx() ctx: DoctorSubgraphContext) {
    const doctor = await requireMyDoctor(ctx);
    const wp = await ownWorkplace(ctx, doctor, id);
    wp.isActive = false;
    await ctx.em.flush();
    return wp;
  }

  @FieldResolver(() => Doctor)
  async doctor(@Root() wp: Workplace, @Ctx() ctx: DoctorSubgraphContext): Promise<Doctor> {
    const doctor = await doctorById(ctx, wp.doctorId);
    if (!doctor) throw new NotFoundError('Doctor');
    return doctor;
  }

  @FieldResolver(() => Address, { nullable: true })
  address(@Root() wp: Workplace): Address | null {
    return wp.storedAddress ? { id: wp.id, ...wp.storedAddress } : null;
  }
}

/** Federation: Workplace by key; inactive ones only for their doctor and admins. */
export const workplaceReference = {
  Workplace: {
    __resolveReference: async (ref: { id: string }, ctx: DoctorSubgraphContext) => {
      const wp = await workplaceById(ctx, ref.id);
      if (!wp) return null;
      if (wp.isActive) return wp;
      const doctor = await doctorById(ctx, wp.doctorId);
      return doctor && canSeePrivateDoctor(doctor, ctx) ? wp : null;
    },
  },
};
