import { DateTime, IANAZone } from 'luxon';
import { Field, ID, ObjectType } from 'type-graphql';
import { BadUserInputError, type FieldProblem } from '@hc/graphql';
import { WEEKDAYS, type DayOfWeek, type WorkingHours } from '../workplace/workplace.entity.js';

@ObjectType()
export class Slot {
  @Field(() => ID) workplaceId!: string;
  @Field() startsAt!: Date;
  @Field() endsAt!: Date;
}

/** `Subscription.slotReleased`: a slot anyone may book now. Names a time, never a person. */
@ObjectType({
  description: 'A slot that became bookable by anyone (a released waitlist hold, or a freed slot nobody waiting took).',
})
export class SlotReleasedEvent {
  @Field(() => ID) doctorId!: string;
  @Field(() => ID) workplaceId!: string;
  @Field() startsAt!: Date;
  @Field() endsAt!: Date;
  @Field() occurredAt!: Date;
}

/** Longest range availableSlots answers in one call. */
export const MAX_SLOT_RANGE_DAYS = 14;

export interface SlotSource {
  id: string;
  timeZone: string;
  workingHours: WorkingHours[];
  slotDurationMinutes: number;
}

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

export const isValidTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone);

/** Working hours must be HH:mm, start < end, and not overlap within a day. Returns the problems found. */
export function workingHoursProblems(hours: { day: DayOfWeek; start: string; end: string }[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const byDay = new Map<DayOfWeek, { start: number; end: number; i: number }[]>();
  hours.forEach((h, i) => {
    const start = minutesOf(h.start);
    const end = minutesOf(h.end);
    if (!(start < end)) {
      problems.push({ field: `workingHours[${i}]`, message: 'start must be before end' });
      return;
    }
    const list = byDay.get(h.day) ?? [];
    list.push({ start, end, i });
    byDay.set(h.day, list);
  });
  for (const [day, list] of byDay) {
    list.sort((a, b) => a.start - b.start);
    for (let k = 1; k < list.length; k++) {
      if (list[k].start < list[k - 1].end) {
        problems.push({ field: `workingHours[${list[k].i}]`, message: `overlaps another range on ${day}` });
      }
    }
  }
  return problems;
}

/** Checks an availability range: from < to, at most MAX_SLOT_RANGE_DAYS long. */
export function checkRange(from: Date, to: Date): void {
  if (!(from < to)) throw BadUserInputError.field('to', 'to must be after from');
  if (to.getTime() - from.getTime() > MAX_SLOT_RANGE_DAYS * 24 * 3600_000) {
    throw BadUserInputError.field('to', `the range is limited to ${MAX_SLOT_RANGE_DAYS} days`);
  }
}

/**
 * The workplace's slots that lie inside [from, to). Generated in the workplace's own time zone
 * from local wall-clock hours, so a 09:00 start stays 09:00 local on both sides of a DST change
 * (the UTC instant moves instead). Slot steps add real minutes within one working range.
 */
export function generateSlots(wp: SlotSource, from: Date, to: Date): Slot[] {
  const slots: Slot[] = [];
  const zone = wp.timeZone;
  const step = wp.slotDurationMinutes * 60_000;
  const fromMs = from.getTime();
  const toMs = to.getTime();
  let day = DateTime.fromJSDate(from, { zone }).startOf('day');
  const last = DateTime.fromJSDate(to, { zone });
  for (; day <= last; day = day.plus({ days: 1 })) {
    const weekday = WEEKDAYS[day.weekday - 1];
    for (const wh of wp.workingHours) {
      if (wh.day !== weekday) continue;
      const at = (mins: number) =>
        DateTime.fromObject(
          { year: day.year, month: day.month, day: day.day, hour: Math.floor(mins / 60), minute: mins % 60 },
          { zone },
        );
      const startMin = minutesOf(wh.start);
      const endMin = minutesOf(wh.end);
      const end = (endMin >= 1440 ? at(0).plus({ days: 1 }) : at(endMin)).toMillis();
      // Within a range the steps are real minutes, so plain millisecond arithmetic from the
      // range's first instant (time-zone work stays at one conversion per range end).
      for (let t = at(startMin).toMillis(); t + step <= end; t += step) {
        if (t >= fromMs && t + step <= toMs)
          slots.push({ workplaceId: wp.id, startsAt: new Date(t), endsAt: new Date(t + step) });
      }
    }
  }
  return slots.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

/** The slot of the workplace that starts exactly at `startsAt`, if any. */
export function slotStartingAt(wp: SlotSource, startsAt: Date): Slot | undefined {
  const from = new Date(startsAt.getTime() - 24 * 3600_000);
  const to = new Date(startsAt.getTime() + 24 * 3600_000 + wp.slotDurationMinutes * 60_000);
  return generateSlots(wp, from, to).find((s) => s.startsAt.getTime() === startsAt.getTime());
}
