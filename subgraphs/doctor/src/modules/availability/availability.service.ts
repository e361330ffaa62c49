import { Slot, checkRange, generateSlots } from './slots.js';
import type { Doctor } from '../doctor/doctor.entity.js';
import { load } from '../loaders.js';
import type { DoctorSubgraphContext } from '../../context.js';

/**
 * Free slots of a doctor from the working hours in each active workplace's time zone, minus
 * taken (appointments not CANCELLED or NO_SHOW) and past ones. The range is checked (at most 31 days).
 */
export async function availableSlots(
  ctx: DoctorSubgraphContext,
  doctor: Doctor,
  range: { from: Date; to: Date; workplaceId?: string },
): Promise<Slot[]> {
  const { from, to, workplaceId } = range;
  checkRange(from, to);
  const workplaces = (await load.workplacesOfDoctor(ctx, doctor.id)).filter(
    (w) => w.isActive && (!workplaceId || w.id === workplaceId),
  );
  if (workplaces.length === 0) return [];
  const now = new Date();
  const start = from > now ? from : now;
  if (!(start < to)) return [];
  const taken = await load.takenTimes(ctx, doctor.id, start, to);
  return workplaces
    .flatMap((w) => generateSlots(w, start, to))
    .filter((s) => !taken.some((a) => a.startsAt < s.endsAt && a.endsAt > s.startsAt))
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}
