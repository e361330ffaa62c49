import type { MikroORM } from '@mikro-orm/postgresql';
import { applyIfNewer, type CareRelationshipEvent } from '@hc/jobs';

/**
 * Applies one care.changed event to the read copy. Idempotent and order-safe: a row only
 * changes when the event is newer than what is stored, so retries and out-of-order delivery
 * leave the latest state.
 */
export async function applyCareEvent(orm: MikroORM, event: CareRelationshipEvent): Promise<void> {
  await applyIfNewer(orm.em.fork(), {
    table: 'care_relationships',
    key: ['staff_user_id', 'patient_id'],
    rows: event.staffUserIds.map((staff) => ({
      staff_user_id: staff,
      patient_id: event.patientId,
      active: event.active,
      updated_at: event.occurredAt,
    })),
  });
}
