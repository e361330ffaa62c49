import type { EntityManager } from '@mikro-orm/postgresql';
import { addToOutbox } from '@hc/jobs';

/**
 * Tells auth, from the current rows, whether each staff member has care of a patient: a
 * non-cancelled appointment with that doctor, or at a workplace the assistant is assigned to.
 * It publishes state, not deltas, so a cancellation or an unassignment withdraws access and a
 * second relationship elsewhere keeps it. Call inside the transaction, after the change and after
 * the workplace/doctor/patient locks, so racing changes publish in commit order; the event time is
 * the database clock (microseconds), which auth uses to keep the newest state.
 */
export async function publishCareState(tx: EntityManager, patientId: string, staffUserIds: string[]): Promise<void> {
  const staff = [...new Set(staffUserIds)];
  if (staff.length === 0) return;
  const rows = await tx.getConnection().execute<{ staff: string; active: boolean; at: string }[]>(
    `select s.staff, exists (
       select 1 from appointments a
       where a.patient_id = ? and a.status not in ('CANCELLED', 'HELD')
         and (a.doctor_user_id = s.staff
              or exists (select 1 from assistant_assignments aa
                         where aa.assistant_id = s.staff and aa.workplace_id = a.workplace_id and aa.revoked_at is null))
     ) as active, clock_timestamp()::text as at
     from (values ${staff.map(() => '(?::uuid)').join(', ')}) as s(staff)`,
    [patientId, ...staff],
    'all',
    tx.getTransactionContext(),
  );
  for (const active of [true, false]) {
    const ids = rows.filter((r) => r.active === active).map((r) => r.staff);
    if (ids.length) addToOutbox(tx, 'care.changed', { patientId, staffUserIds: ids, active, occurredAt: rows[0].at });
  }
}
