import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CareRelationshipEvent } from '@hc/jobs';
import { startTestSubgraph } from '@hc/testing';
import { authSubgraph } from '../../server.js';
import { applyCareEvent, respondToCareAccess } from './care.service.js';

// Consent rows under concurrent events and answers (the end-to-end flow is in the gateway's tests).
describe('care access rows', () => {
  let sg: Awaited<ReturnType<typeof startTestSubgraph>>;
  beforeAll(async () => {
    sg = await startTestSubgraph(authSubgraph);
  });
  afterAll(async () => {
    await sg?.stop();
  });

  const at = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00');
  const event = (patientId: string, staff: string, active: boolean, ms: number): CareRelationshipEvent => ({
    patientId,
    staffUserIds: [staff],
    active,
    occurredAt: at(ms),
    staff: [
      {
        staffUserId: staff,
        active,
        lastVisitAt: new Date(Date.now() + 86_400_000).toISOString(),
        ...(active
          ? {
              grantedBy: 'STAFF' as const,
              appointmentId: randomUUID(),
              reason: 'appointment',
              appointmentBookedAt: new Date(ms).toISOString(),
            }
          : {}),
      },
    ],
  });
  const statusOf = async (patientId: string, staff: string) =>
    (
      await sg.orm.em
        .getConnection()
        .execute<{ status: string }[]>(`select status from care_access where patient_id = ? and staff_user_id = ?`, [
          patientId,
          staff,
        ])
    )[0]?.status;

  it('keeps the newest state whatever order racing events arrive in', async () => {
    const pairs = Array.from({ length: 10 }, () => ({ patient: randomUUID(), staff: randomUUID() }));
    const t = Date.now();
    await Promise.all(
      pairs.flatMap(({ patient, staff }, i) => {
        const grant = applyCareEvent(sg.orm.em.fork(), event(patient, staff, true, t), 90);
        const end = applyCareEvent(sg.orm.em.fork(), event(patient, staff, false, t + 1000), 90);
        return i % 2 ? [grant, end] : [end, grant];
      }),
    );
    for (const { patient, staff } of pairs) expect(await statusOf(patient, staff)).toBe('REVOKED');
    // A grant that lost the race to a newer end never opens access later.
    for (const { patient, staff } of pairs) await applyCareEvent(sg.orm.em.fork(), event(patient, staff, true, t), 90);
    for (const { patient, staff } of pairs) expect(await statusOf(patient, staff)).not.toBe('ACTIVE');
  });

  it("a patient's accept racing the end of the relationship ends REVOKED, never ACTIVE", async () => {
    const t = Date.now();
    for (let i = 0; i < 10; i++) {
      const patient = randomUUID();
      const staff = randomUUID();
      await applyCareEvent(sg.orm.em.fork(), event(patient, staff, true, t), 90);
      const [{ id }] = await sg.orm.em
        .getConnection()
        .execute<{ id: string }[]>(`select id from care_access where patient_id = ?`, [patient]);
      const results = await Promise.allSettled([
        respondToCareAccess(sg.orm.em, patient, id, true),
        applyCareEvent(sg.orm.em.fork(), event(patient, staff, false, t + 1000), 90),
      ]);
      // The accept either lands first (then the end revokes it) or finds the request gone (CONFLICT).
      if (results[0].status === 'rejected')
        expect((results[0].reason as { extensions?: { reason?: string } }).extensions?.reason).toBe('INVALID_STATUS');
      expect(results[1].status).toBe('fulfilled');
      expect(await statusOf(patient, staff)).toBe('REVOKED');
    }
  });
});
