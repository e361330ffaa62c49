import { UnrecoverableError, type Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import { QUEUES, type PrescriptionChangedEvent } from '@hc/jobs';

export const queue = QUEUES.pharmacyEvents;
export const topic = 'prescription.changed';
export type { PrescriptionChangedEvent as Payload };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function check(e: PrescriptionChangedEvent): void {
  const bad =
    !UUID_RE.test(e.prescriptionId) ||
    !UUID_RE.test(e.patientId) ||
    !UUID_RE.test(e.doctorId) ||
    !UUID_RE.test(e.doctorUserId) ||
    !UUID_RE.test(e.appointmentId) ||
    (e.status !== 'ACTIVE' && e.status !== 'CANCELLED') ||
    !Number.isSafeInteger(e.version) ||
    Number.isNaN(Date.parse(e.issuedAt)) ||
    Number.isNaN(Date.parse(e.expiresAt)) ||
    !Array.isArray(e.items) ||
    e.items.some((l) => !UUID_RE.test(l.itemId) || !Number.isInteger(l.quantity) || l.quantity < 1);
  // A malformed event will never become valid: retrying it only delays the ones behind it.
  if (bad) throw new UnrecoverableError('malformed prescription.changed event');
}

/**
 * Applies the doctor's full prescription state to the pharmacy copy if its `version` is newer
 * than the copy's, in one statement: the conditional upsert of the header (`where version <
 * excluded.version`, so an older or repeated event changes nothing, whatever order they arrive
 * in and however many consumers race) and, only when that header changed, the lines. A line's
 * prescribed count never drops below what was already dispensed. Returns whether it applied.
 */
export async function applyPrescriptionChanged(orm: MikroORM, e: PrescriptionChangedEvent): Promise<boolean> {
  check(e);
  const byItem = new Map<string, number>();
  for (const l of e.items) byItem.set(l.itemId.toLowerCase(), (byItem.get(l.itemId.toLowerCase()) ?? 0) + l.quantity);
  const [row] = await orm.em.getConnection().execute<{ applied: number }[]>(
    `with p as (
       insert into prescriptions (id, patient_id, doctor_id, doctor_user_id, appointment_id, status, issued_at, expires_at, version)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do update set
         patient_id = excluded.patient_id, doctor_id = excluded.doctor_id, doctor_user_id = excluded.doctor_user_id,
         appointment_id = excluded.appointment_id, status = excluded.status, issued_at = excluded.issued_at,
         expires_at = excluded.expires_at, version = excluded.version, updated_at = now()
       where prescriptions.version < excluded.version
       returning id
     ), l as (
       insert into prescription_lines (prescription_id, item_id, prescribed)
       select p.id, v.item_id, v.n from p, unnest(?::uuid[], ?::int[]) as v(item_id, n)
       on conflict (prescription_id, item_id) do nothing
       returning 1
     )
     select (select count(*) from p)::int as applied, (select count(*) from l)::int as lines`,
    [
      e.prescriptionId.toLowerCase(),
      e.patientId.toLowerCase(),
      e.doctorId.toLowerCase(),
      e.doctorUserId.toLowerCase(),
      e.appointmentId.toLowerCase(),
      e.status,
      e.issuedAt,
      e.expiresAt,
      e.version,
      `{${[...byItem.keys()].join(',')}}`,
      `{${[...byItem.values()].join(',')}}`,
    ],
  );
  return row.applied > 0;
}

/** The queue handler: `prescription.changed` jobs on pharmacy-events. */
export async function process(
  orm: MikroORM,
  job: Pick<Job<PrescriptionChangedEvent>, 'name' | 'data'>,
): Promise<'applied' | 'stale' | 'skipped'> {
  if (job.name !== topic) return 'skipped';
  return (await applyPrescriptionChanged(orm, job.data)) ? 'applied' : 'stale';
}
