import { UnrecoverableError, type Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PrescriptionPharmacyAccessEvent } from '@hc/jobs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Records that a pharmacy user may read a prescription (their pharmacy holds an order or
 * reservation using it). Idempotent: a redelivered event inserts nothing. An event for a
 * prescription this subgraph does not have grants nothing. Returns whether a row was added.
 */
export async function applyPharmacyAccess(orm: MikroORM, event: PrescriptionPharmacyAccessEvent): Promise<boolean> {
  for (const key of ['prescriptionId', 'pharmacyId', 'pharmacyUserId'] as const) {
    if (!UUID.test(String(event[key]))) throw new UnrecoverableError(`prescription.pharmacy-access: ${key} is not a uuid`);
  }
  const at = new Date(event.occurredAt);
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<{ prescription_id: string }[]>(
      `insert into prescription_pharmacy_access (prescription_id, pharmacy_user_id, pharmacy_id, granted_at)
     select p.id, ?, ?, ? from prescriptions p where p.id = ?
     on conflict (prescription_id, pharmacy_user_id) do nothing
     returning prescription_id`,
      [event.pharmacyUserId, event.pharmacyId, Number.isNaN(at.getTime()) ? new Date() : at, event.prescriptionId],
    );
  return rows.length > 0;
}

/** BullMQ handler for `prescription.pharmacy-access` jobs on QUEUES.doctorEvents. */
export const pharmacyAccessHandler = (orm: MikroORM) => async (job: Job<PrescriptionPharmacyAccessEvent>) => {
  if (job.name !== 'prescription.pharmacy-access') return;
  await applyPharmacyAccess(orm, job.data);
};
