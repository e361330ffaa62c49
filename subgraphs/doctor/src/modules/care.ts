import type { EntityManager } from '@mikro-orm/postgresql';
import { DateTime } from 'luxon';
import { addToOutbox, type CareStaffState } from '@hc/jobs';

/**
 * What grants access in this change: a booking (`appointmentId`: the patient's own booking grants,
 * a booking by staff asks the patient), or `'upcoming'` when an assistant joins a workplace (each
 * patient's next upcoming appointment there decides). Omitted for changes that only narrow or
 * refresh access (cancellation, completion, review of the doctor, removal of an assistant).
 */
export type CareGrant = { appointmentId: string } | 'upcoming';

interface StaffRow {
  staff: string;
  active: boolean;
  last_visit: string | null;
  last_completed: string | null;
  at: string;
  grant_id: string | null;
  grant_starts: string | null;
  grant_booked_by: string | null;
  grant_created: string | null;
  time_zone: string | null;
  doctor_name: string | null;
}

/**
 * Tells auth, from the current rows, whether each staff member has care of a patient, and what
 * auth needs to keep consent and expiry: an appointment with that (APPROVED) doctor, or at a
 * workplace the assistant was assigned to before the appointment ended (a newly assigned assistant
 * gets the upcoming patients, not the workplace's past ones), that is not cancelled or a no-show.
 * It publishes state, not deltas, so a cancellation, an unassignment or a rejected doctor withdraws
 * access and a second relationship elsewhere keeps it. Call inside the transaction, after the
 * change and after the workplace/doctor/patient locks, so racing changes publish in commit order;
 * the event time is the database clock (microseconds), which auth uses to keep the newest state.
 */
export async function publishCareState(
  tx: EntityManager,
  patientId: string,
  staffUserIds: string[],
  grant?: CareGrant,
): Promise<void> {
  const staff = [...new Set(staffUserIds)];
  if (staff.length === 0) return;
  const grantById = grant && grant !== 'upcoming' ? grant.appointmentId : null;
  const rows = await tx.getConnection().execute<StaffRow[]>(
    `with s(staff) as (values ${staff.map(() => '(?::uuid)').join(', ')}),
     rel as (
       select s.staff, a.id, a.starts_at, a.ends_at, a.status, a.booked_by, a.created_at, a.workplace_id, a.doctor_id
       from s
       join appointments a on a.patient_id = ? and a.status in ('PENDING', 'CONFIRMED', 'COMPLETED')
       join doctors d on d.id = a.doctor_id and d.verification_status = 'APPROVED'
       where a.doctor_user_id = s.staff
          or exists (select 1 from assistant_assignments aa
                     where aa.assistant_id = s.staff and aa.workplace_id = a.workplace_id
                       and aa.revoked_at is null and a.ends_at > aa.assigned_at)
     )
     select s.staff,
       exists (select 1 from rel where rel.staff = s.staff) as active,
       (select to_json(max(ends_at)) #>> '{}' from rel where rel.staff = s.staff) as last_visit,
       (select to_json(max(ends_at)) #>> '{}' from rel where rel.staff = s.staff and rel.status = 'COMPLETED') as last_completed,
       clock_timestamp()::text as at,
       g.id as grant_id, to_json(g.starts_at) #>> '{}' as grant_starts, g.booked_by as grant_booked_by,
       to_json(g.created_at) #>> '{}' as grant_created, w.time_zone, d.name as doctor_name
     from s
     left join lateral (
       select rel.* from rel
       where rel.staff = s.staff
         and (rel.id = ?::uuid or (?::boolean and rel.status in ('PENDING', 'CONFIRMED') and rel.ends_at > now()))
       order by rel.starts_at limit 1
     ) g on true
     left join workplaces w on w.id = g.workplace_id
     left join doctors d on d.id = g.doctor_id`,
    [...staff, patientId, grantById, grant === 'upcoming'],
    'all',
    tx.getTransactionContext(),
  );
  const states: CareStaffState[] = rows.map((r) => {
    const state: CareStaffState = {
      staffUserId: r.staff,
      active: r.active,
      lastVisitAt: iso(r.last_visit),
      lastCompletedAt: iso(r.last_completed),
    };
    if (grant && r.active && r.grant_id) {
      state.grantedBy = r.grant_booked_by === patientId ? 'PATIENT' : 'STAFF';
      state.appointmentId = r.grant_id;
      state.appointmentBookedAt = iso(r.grant_created)!;
      state.reason = reasonFor(r);
    }
    return state;
  });
  const at = rows[0].at;
  for (const active of [true, false]) {
    const group = states.filter((s) => s.active === active);
    if (group.length)
      addToOutbox(tx, 'care.changed', {
        patientId,
        staffUserIds: group.map((s) => s.staffUserId),
        active,
        occurredAt: at,
        staff: group,
      });
  }
}

/**
 * After a doctor's review status changes (a rejection or suspension ends access at once): the care
 * state of each of their patients, for the doctor and the assistants of their workplaces, commits
 * with the status change. Call inside that transaction, after the change is flushed.
 */
export async function publishCareStateForDoctor(tx: EntityManager, doctorId: string): Promise<void> {
  const conn = tx.getConnection();
  const ctx = tx.getTransactionContext();
  const staff = await conn.execute<{ id: string }[]>(
    `select user_id as id from doctors where id = ?
     union select aa.assistant_id from assistant_assignments aa where aa.doctor_id = ? and aa.revoked_at is null`,
    [doctorId, doctorId],
    'all',
    ctx,
  );
  const patients = await conn.execute<{ patient_id: string }[]>(
    `select distinct patient_id from appointments where doctor_id = ?`,
    [doctorId],
    'all',
    ctx,
  );
  const ids = staff.map((s) => s.id);
  for (const p of patients) await publishCareState(tx, p.patient_id, ids);
}

/** Timestamps come as JSON text (ISO 8601 with offset). */
function iso(json: string | null): string | undefined {
  return json ? new Date(json).toISOString() : undefined;
}

/** "appointment 2026-12-02 09:30 with Dr X", in the workplace's time zone. */
function reasonFor(r: StaffRow): string {
  const when = DateTime.fromISO(iso(r.grant_starts)!, { zone: r.time_zone ?? 'UTC' }).toFormat('yyyy-MM-dd HH:mm');
  return `appointment ${when} with Dr ${r.doctor_name ?? 'unknown'}`;
}
