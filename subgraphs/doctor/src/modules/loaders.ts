import { readPlain } from '@hc/db';
import { NotFoundError, byKeys, groupByKeys, loader } from '@hc/graphql';
import { Doctor } from './doctor/doctor.entity.js';
import { Workplace } from './workplace/workplace.entity.js';
import { Appointment, AppointmentStatus, FREED_STATUSES } from './appointment/appointment.entity.js';
import { HELD } from './waitlist/waitlist.entity.js';
import { DoctorDocument } from './document/document.entity.js';
import type { DoctorSubgraphContext } from '../context.js';

/** Slot holds (waitlist) are appointments rows the API never shows; takenTimes still counts them. */
const HELD_STATUS = HELD as AppointmentStatus;

interface TakenKey {
  doctorId: string;
  from: Date;
  to: Date;
}

/**
 * Per-request batched lookups shared by features: a list of N appointments, invites or
 * workplaces costs one query per relation. They return rows as stored; who may see them is the
 * services' call. The doctor and workplace loaders (and takenTimes) answer reads only and return
 * plain rows (`readPlain`: no hydration, identity map or snapshots); writes load their entity
 * through `em` (e.g. `ownWorkplace`, `requireMyDoctor`), never from here.
 */
export const load = {
  doctor: (ctx: DoctorSubgraphContext, id: string) =>
    loader<string, Doctor | null>(ctx, load.doctor, async (ids) =>
      byKeys(ids, await readPlain(ctx.em, Doctor, { id: { $in: [...ids] } }), (d) => d.id),
    ).load(id),

  /** The doctor profile of a user, if any. */
  doctorOfUser: (ctx: DoctorSubgraphContext, userId: string) =>
    loader<string, Doctor | null>(ctx, load.doctorOfUser, async (userIds) =>
      byKeys(userIds, await readPlain(ctx.em, Doctor, { userId: { $in: [...userIds] } }), (d) => d.userId),
    ).load(userId),

  workplace: (ctx: DoctorSubgraphContext, id: string) =>
    loader<string, Workplace | null>(ctx, load.workplace, async (ids) =>
      byKeys(ids, await readPlain(ctx.em, Workplace, { id: { $in: [...ids] } }), (w) => w.id),
    ).load(id),

  /** Every workplace of each doctor, primary first. */
  workplacesOfDoctor: (ctx: DoctorSubgraphContext, doctorId: string) =>
    loader<string, Workplace[]>(ctx, load.workplacesOfDoctor, async (ids) =>
      groupByKeys(
        ids,
        await readPlain(ctx.em, Workplace, { doctorId: { $in: [...ids] } }, { orderBy: { isPrimary: 'desc', createdAt: 'asc' } }),
        (w) => w.doctorId,
      ),
    ).load(doctorId),

  /**
   * Each doctor's document rows that can matter: uploaded ones, and requests of the last day whose
   * upload may not have been seen yet. Newest first.
   */
  documentsOfDoctor: (ctx: DoctorSubgraphContext, doctorId: string) =>
    loader<string, DoctorDocument[]>(ctx, load.documentsOfDoctor, async (ids) =>
      groupByKeys(
        ids,
        await ctx.em.find(
          DoctorDocument,
          {
            doctorId: { $in: [...ids] },
            $or: [{ uploadedAt: { $ne: null } }, { requestedAt: { $gt: new Date(Date.now() - 24 * 3600_000) } }],
          },
          { orderBy: { requestedAt: 'desc' } },
        ),
        (d) => d.doctorId,
      ),
    ).load(doctorId),

  appointment: (ctx: DoctorSubgraphContext, id: string) =>
    loader<string, Appointment | null>(ctx, load.appointment, async (ids) =>
      byKeys(ids, await ctx.em.find(Appointment, { id: { $in: [...ids] }, status: { $ne: HELD_STATUS } }), (a) => a.id),
    ).load(id),

  /**
   * Occupied appointment times (not CANCELLED or NO_SHOW) per doctor and range. A directory page asking
   * availableSlots for every doctor costs one query (over the union of the ranges), not one each.
   */
  takenTimes: (ctx: DoctorSubgraphContext, doctorId: string, from: Date, to: Date) =>
    loader<TakenKey, { startsAt: Date; endsAt: Date }[]>(ctx, load.takenTimes, async (keys) => {
      const min = new Date(Math.min(...keys.map((k) => k.from.getTime())));
      const max = new Date(Math.max(...keys.map((k) => k.to.getTime())));
      // Plain rows through the query builder: three columns, no Appointment entities to hydrate,
      // track in the identity map or snapshot for a flush that never comes.
      const rows = await ctx.em
        .createQueryBuilder(Appointment)
        .select(['doctorId', 'startsAt', 'endsAt'])
        .where({
          doctorId: { $in: [...new Set(keys.map((k) => k.doctorId))] },
          status: { $nin: FREED_STATUSES },
          startsAt: { $lt: max },
          endsAt: { $gt: min },
        })
        .execute<{ doctorId: string; startsAt: Date; endsAt: Date }[]>('all');
      return keys.map((k) => rows.filter((a) => a.doctorId === k.doctorId && a.startsAt < k.to && a.endsAt > k.from));
    }).load({ doctorId, from, to }),
};

/** A relation's doctor (of an appointment, workplace, invite): the row must exist. */
export async function requireDoctor(ctx: DoctorSubgraphContext, id: string): Promise<Doctor> {
  const doctor = await load.doctor(ctx, id);
  if (!doctor) throw new NotFoundError('Doctor');
  return doctor;
}

/** A relation's workplace (of an appointment, invite, assignment): the row must exist. */
export async function requireWorkplace(ctx: DoctorSubgraphContext, id: string): Promise<Workplace> {
  const wp = await load.workplace(ctx, id);
  if (!wp) throw new NotFoundError('Workplace');
  return wp;
}
