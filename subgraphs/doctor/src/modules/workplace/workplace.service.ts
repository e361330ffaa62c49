import type { EntityManager } from '@mikro-orm/postgresql';
import { lockInOrder } from '@hc/db';
import { BadUserInputError, ConflictError, NotFoundError, toAddressColumns } from '@hc/graphql';
import { Workplace } from './workplace.entity.js';
import type { WorkplaceInput } from './workplace.inputs.js';
import type { Doctor } from '../doctor/doctor.entity.js';
import { canSeePrivateDoctor } from '../doctor/doctor.service.js';
import { isValidTimeZone, workingHoursProblems } from '../availability/slots.js';
import { requireMyDoctor } from '../access.js';
import { load } from '../loaders.js';
import { offerAfterHoursChange } from '../waitlist/waitlist.service.js';
import type { DoctorSubgraphContext } from '../../context.js';

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
  wp.storedAddress = toAddressColumns(input.address);
  wp.city = input.address?.city.trim() ?? null;
}

/** The caller's own workplace or NOT_FOUND (other doctors' workplaces are not revealed). */
async function ownWorkplace(ctx: DoctorSubgraphContext, doctor: Doctor, id: string): Promise<Workplace> {
  const wp = await ctx.em.findOne(Workplace, { id, doctorId: doctor.id });
  if (!wp) throw new NotFoundError('Workplace');
  return wp;
}

/** Only one primary workplace per doctor; runs on the caller's transaction so the flag moves atomically. */
async function clearOtherPrimary(em: EntityManager, wp: Workplace) {
  if (wp.isPrimary) await em.nativeUpdate(Workplace, { doctorId: wp.doctorId, id: { $ne: wp.id } }, { isPrimary: false });
}

/** The calling doctor adds a workplace; marking it primary unmarks the others in the same transaction. */
/**
 * Workplaces one doctor may have (active or not). `Doctor.workplaces` takes no `first`: the
 * gateway's cost limit counts that list at this size (gateway/src/limits.ts WORKPLACES_PER_DOCTOR).
 */
export const MAX_WORKPLACES_PER_DOCTOR = 10;

export async function createWorkplace(ctx: DoctorSubgraphContext, input: WorkplaceInput): Promise<Workplace> {
  const doctor = await requireMyDoctor(ctx);
  const wp = new Workplace();
  wp.doctorId = doctor.id;
  applyInput(wp, input);
  await ctx.em.transactional(async (em) => {
    // Counted under the doctor's lock, so racing creations cannot pass the cap together.
    await lockInOrder(em, [`doctor:${doctor.id}`]);
    if ((await em.count(Workplace, { doctorId: doctor.id })) >= MAX_WORKPLACES_PER_DOCTOR)
      throw new ConflictError(`A doctor has at most ${MAX_WORKPLACES_PER_DOCTOR} workplaces`, 'LIMIT_REACHED');
    em.persist(wp);
    await em.flush();
    await clearOtherPrimary(em, wp);
  });
  return wp;
}

/** The calling doctor replaces one of their workplaces' details (NOT_FOUND for anyone else's). */
export async function updateWorkplace(ctx: DoctorSubgraphContext, id: string, input: WorkplaceInput): Promise<Workplace> {
  const doctor = await requireMyDoctor(ctx);
  const wp = await ownWorkplace(ctx, doctor, id);
  applyInput(wp, input);
  await ctx.em.transactional(async (em) => {
    await em.flush();
    await clearOtherPrimary(em, wp);
    await offerAfterHoursChange(ctx, em, wp.id); // new hours may open slots in waiting windows
  });
  return wp;
}

/** Hides one of the calling doctor's workplaces from the directory and stops new bookings there. */
export async function deactivateWorkplace(ctx: DoctorSubgraphContext, id: string): Promise<Workplace> {
  const doctor = await requireMyDoctor(ctx);
  const wp = await ownWorkplace(ctx, doctor, id);
  wp.isActive = false;
  await ctx.em.flush();
  return wp;
}

/** Shows a deactivated workplace again and reopens it for bookings (idempotent). */
export async function activateWorkplace(ctx: DoctorSubgraphContext, id: string): Promise<Workplace> {
  const doctor = await requireMyDoctor(ctx);
  const wp = await ownWorkplace(ctx, doctor, id);
  wp.isActive = true;
  await ctx.em.flush();
  return wp;
}

/** A workplace by key for federation: inactive ones only for their doctor and admins, else null. */
export async function findVisibleWorkplace(ctx: DoctorSubgraphContext, id: string): Promise<Workplace | null> {
  const wp = await load.workplace(ctx, id);
  if (!wp) return null;
  if (wp.isActive) return wp;
  const doctor = await load.doctor(ctx, wp.doctorId);
  return doctor && canSeePrivateDoctor(doctor, ctx) ? wp : null;
}
