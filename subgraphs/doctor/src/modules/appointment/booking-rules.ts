import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError } from '@hc/graphql';
import { Appointment, AppointmentStatus } from './appointment.entity.js';

/**
 * A patient holds at most `cap` PENDING or CONFIRMED future appointments (slot hoarding). Every way
 * into a booking checks it (bookAppointment, acceptWaitlistOffer). Call inside the transaction,
 * after taking the `patient:<id>` lock.
 */
export async function assertBelowCap(tx: EntityManager, patientId: string, cap: number): Promise<void> {
  const held = await tx.count(Appointment, {
    patientId,
    status: { $in: [AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED] },
    startsAt: { $gt: new Date() },
  });
  if (held >= cap)
    throw new ConflictError(`This patient already holds ${cap} upcoming appointments, the most allowed`, 'LIMIT_REACHED');
}
