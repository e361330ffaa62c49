import type { EntityManager } from '@mikro-orm/postgresql';
import { appendAuditEvents } from '@hc/audit';
import { ConflictError, currentRequestId, NotFoundError } from '@hc/graphql';
import type { CareRelationshipEvent, CareStaffState } from '@hc/jobs';
import { CareAccess, CareAccessStatus, effectiveCareStatus } from './care-access.entity.js';

const DAY_MS = 24 * 3600 * 1000;

/** Who or what changed a patient's care access. */
export type AccessChangeCause =
  | 'PATIENT_BOOKING'
  | 'STAFF_REQUEST'
  | 'PATIENT_ACCEPTED'
  | 'PATIENT_REFUSED'
  | 'PATIENT_REVOKED'
  | 'RELATIONSHIP_ENDED'
  | 'EXPIRED';

export interface AccessChange {
  careAccessId: string;
  patientId: string;
  staffUserId: string;
  from: CareAccessStatus | null;
  to: CareAccessStatus;
  cause: AccessChangeCause;
  /** The user who acted (the patient); null when the system did (a care event, expiry). */
  actorId: string | null;
}

/**
 * The one place every change of who may see a patient's health data passes through, inside the
 * transaction that makes it: it is appended to auth's audit trail in that transaction, so the
 * patient's `myAccessLog` shows every grant, request, answer, revocation and end of access.
 */
export async function recordAccessChange(tx: EntityManager, change: AccessChange): Promise<void> {
  await appendAuditEvents(tx, 'auth', [
    {
      actorId: change.actorId,
      actorRole: change.actorId ? 'PATIENT' : null,
      action: change.from === null ? 'CREATE' : 'UPDATE',
      resourceType: 'CareAccess',
      resourceId: change.careAccessId,
      patientId: change.patientId,
      // Which access changed and why, as field names (an audit event never holds values).
      fields: ['status', `staff:${change.staffUserId}`, `to:${change.to}`, `cause:${change.cause}`],
      requestId: currentRequestId() ?? null,
    },
  ]);
}

/**
 * Applies one care.changed event (doctor subgraph) to the consent rows. Idempotent and
 * order-safe: a row changes only for an event newer than the one it holds. A grant from the
 * patient's own booking opens access; one from staff asks the patient (PENDING) unless access is
 * already open; the end of the relationship (cancelled, rejected doctor, assistant removed) closes
 * it at once. Access expires `careAccessDays` after the last visit.
 */
export async function applyCareEvent(em: EntityManager, event: CareRelationshipEvent, careAccessDays: number): Promise<void> {
  // Events from before consent carry no per-staff detail: a relationship then is only a request.
  const states: CareStaffState[] =
    event.staff ??
    event.staffUserIds.map((staffUserId) => ({
      staffUserId,
      active: event.active,
      ...(event.active ? { grantedBy: 'STAFF' as const, reason: 'appointment' } : {}),
    }));
  // occurredAt is PostgreSQL's text form ("2026-11-30 22:22:29.145661+00"); only the row compares it exactly.
  const at = new Date(event.occurredAt.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const tctx = tx.getTransactionContext();
    for (const s of [...states].sort((a, b) => a.staffUserId.localeCompare(b.staffUserId))) {
      // Also for an end: the row (hidden while its reason is empty) remembers the event time, so
      // an older grant delivered late cannot open access afterwards.
      await conn.execute(
        `insert into care_access (patient_id, staff_user_id, status, reason, event_at)
           values (?, ?, 'REVOKED', '', 'epoch') on conflict (patient_id, staff_user_id) do nothing`,
        [event.patientId, s.staffUserId],
        'run',
        tctx,
      );
      // The row lock orders this against the patient's own answers and a racing event.
      const [row] = await conn.execute<{ id: string }[]>(
        `select id from care_access where patient_id = ? and staff_user_id = ? for update`,
        [event.patientId, s.staffUserId],
        'all',
        tctx,
      );
      if (!row) continue;
      const access = await tx.findOneOrFail(CareAccess, { id: row.id }, { refresh: true });
      // Compared in the database: the doctor's clock has microseconds, a JS Date does not.
      const [{ newer }] = await conn.execute<{ newer: boolean }[]>(
        `select event_at < ?::timestamptz as newer from care_access where id = ?`,
        [event.occurredAt, row.id],
        'all',
        tctx,
      );
      if (!newer) continue;
      const before = access.reason === '' ? null : effectiveCareStatus(access);
      const cause = nextState(access, s, at, careAccessDays);
      await conn.execute(
        `update care_access set status = ?, reason = ?, granted_at = ?, expires_at = ?, appointment_id = ?,
           event_at = ?::timestamptz where id = ?`,
        [
          access.status,
          access.reason,
          access.grantedAt ?? null,
          access.expiresAt ?? null,
          access.appointmentId ?? null,
          event.occurredAt,
          access.id,
        ],
        'run',
        tctx,
      );
      const after = effectiveCareStatus(access);
      if (before !== after && cause)
        await recordAccessChange(tx, {
          careAccessId: access.id,
          patientId: access.patientId,
          staffUserId: access.staffUserId,
          from: before,
          to: after,
          cause,
          actorId: null,
        });
    }
  });
}

/** Moves `access` (in memory) to what the staff state says; returns why, for the audit record. */
function nextState(access: CareAccess, s: CareStaffState, at: Date, careAccessDays: number): AccessChangeCause | null {
  const now = new Date();
  const current = access.reason === '' ? null : effectiveCareStatus(access, now);
  if (!s.active) {
    if (current === CareAccessStatus.ACTIVE || current === CareAccessStatus.PENDING) {
      access.status = CareAccessStatus.REVOKED;
      return 'RELATIONSHIP_ENDED';
    }
    if (current === CareAccessStatus.EXPIRED) access.status = CareAccessStatus.EXPIRED;
    return null;
  }
  // Expiry is judged on the old horizon before the new one is stored: a later booking by staff
  // must not quietly reopen an expired access.
  if (current === CareAccessStatus.EXPIRED) access.status = CareAccessStatus.EXPIRED;
  access.expiresAt = s.lastVisitAt ? new Date(Date.parse(s.lastVisitAt) + careAccessDays * DAY_MS) : null;
  if (!s.grantedBy) return current === CareAccessStatus.EXPIRED ? 'EXPIRED' : null;
  const bookedAt = s.appointmentBookedAt ? new Date(s.appointmentBookedAt) : at;
  // A patient's refusal or revoke stands until a booking made after it.
  const mayAsk = !access.patientRevokedAt || bookedAt.getTime() > access.patientRevokedAt.getTime();
  if (!mayAsk) return null;
  access.appointmentId = s.appointmentId ?? null;
  if (s.grantedBy === 'PATIENT') {
    if (current !== CareAccessStatus.ACTIVE) access.grantedAt = now;
    access.status = CareAccessStatus.ACTIVE;
    access.reason = s.reason ?? 'appointment';
    return 'PATIENT_BOOKING';
  }
  if (current === CareAccessStatus.ACTIVE) return null; // consent already given covers the new visit
  access.status = CareAccessStatus.PENDING;
  access.grantedAt = null;
  access.reason = s.reason ?? 'appointment';
  return 'STAFF_REQUEST';
}

/** The patient's care team: who may see their health data now, and the requests awaiting them. */
export async function myCareTeam(em: EntityManager, patientId: string): Promise<CareAccess[]> {
  const rows = await em.find(
    CareAccess,
    { patientId, status: { $in: [CareAccessStatus.ACTIVE, CareAccessStatus.PENDING] } },
    { orderBy: { status: 'asc', grantedAt: 'desc', id: 'asc' } },
  );
  return rows.filter((r) => effectiveCareStatus(r) !== CareAccessStatus.EXPIRED);
}

/** One of the patient's own rows; another patient's answers NOT_FOUND. */
async function ownRow(tx: EntityManager, patientId: string, id: string): Promise<CareAccess> {
  const [row] = await tx
    .getConnection()
    .execute<{ id: string }[]>(
      `select id from care_access where id = ? and patient_id = ? and reason <> '' for update`,
      [id, patientId],
      'all',
      tx.getTransactionContext(),
    );
  if (!row) throw new NotFoundError('CareAccess');
  return tx.findOneOrFail(CareAccess, { id: row.id }, { refresh: true });
}

/** The patient accepts (ACTIVE) or refuses (REVOKED) a PENDING request. */
export async function respondToCareAccess(
  em: EntityManager,
  patientId: string,
  id: string,
  accept: boolean,
): Promise<CareAccess> {
  if (!isUuid(id)) throw new NotFoundError('CareAccess');
  return em.fork().transactional(async (tx) => {
    const access = await ownRow(tx, patientId, id);
    if (effectiveCareStatus(access) !== CareAccessStatus.PENDING)
      throw new ConflictError(`This request is already ${effectiveCareStatus(access)}`, 'INVALID_STATUS');
    const now = new Date();
    if (accept) {
      access.status = CareAccessStatus.ACTIVE;
      access.grantedAt = now;
    } else {
      access.status = CareAccessStatus.REVOKED;
      access.patientRevokedAt = now;
    }
    await tx.flush();
    await recordAccessChange(tx, {
      careAccessId: access.id,
      patientId,
      staffUserId: access.staffUserId,
      from: CareAccessStatus.PENDING,
      to: access.status,
      cause: accept ? 'PATIENT_ACCEPTED' : 'PATIENT_REFUSED',
      actorId: patientId,
    });
    return access;
  });
}

/** The patient ends an access (ACTIVE or PENDING) at once; later grants need a new booking. */
export async function revokeCareAccess(em: EntityManager, patientId: string, id: string): Promise<CareAccess> {
  if (!isUuid(id)) throw new NotFoundError('CareAccess');
  return em.fork().transactional(async (tx) => {
    const access = await ownRow(tx, patientId, id);
    const before = effectiveCareStatus(access);
    if (before !== CareAccessStatus.ACTIVE && before !== CareAccessStatus.PENDING) return access;
    access.status = CareAccessStatus.REVOKED;
    access.patientRevokedAt = new Date();
    await tx.flush();
    await recordAccessChange(tx, {
      careAccessId: access.id,
      patientId,
      staffUserId: access.staffUserId,
      from: before,
      to: CareAccessStatus.REVOKED,
      cause: 'PATIENT_REVOKED',
      actorId: patientId,
    });
    return access;
  });
}

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
