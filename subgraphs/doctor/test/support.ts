import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Role } from '@hc/auth';
import { gql, signTestToken, type TestKeys } from '@hc/testing';
import { applyUserChanged } from '../src/modules/user/user-copy.consumer.js';

export { applyUserChanged };

const EVERY_DAY_9_TO_5 = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((day) => ({
  day,
  start: '09:00',
  end: '17:00',
}));

/** Minimal slice of a started supergraph the seeders need (avoids a dependency on its type). */
interface SeedTarget {
  subgraphs: { auth: { orm: MikroORM }; doctor: { orm: MikroORM } };
}

/**
 * Seeds `n` approved doctors for directory tests and benchmarks: users in auth's database, the
 * read copy and profiles in doctor's, one active workplace each. Plain SQL, so thousands are fast.
 */
export async function seedDirectory(sg: SeedTarget, n: number, label = randomUUID().slice(0, 6)) {
  const auth = sg.subgraphs.auth.orm.em.getConnection();
  const doctor = sg.subgraphs.doctor.orm.em.getConnection();
  const ids: { userId: string; doctorId: string; name: string; workplaceId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const userId = randomUUID();
    const doctorId = randomUUID();
    const name = `Dr ${label} ${i}`;
    const workplaceId = randomUUID();
    const email = `dr.${label}.${i}.${userId.slice(0, 6)}@example.com`;
    await auth.execute(
      `insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', 'DOCTOR', true)`,
      [userId, name, email],
    );
    await doctor.execute(`insert into user_copies (user_id, name, email, role, updated_at) values (?, ?, ?, 'DOCTOR', now())`, [
      userId,
      name,
      email,
    ]);
    await doctor.execute(
      `insert into doctors (id, user_id, name, specialization, license_number, verification_status) values (?, ?, ?, ?, ?, 'APPROVED')`,
      [doctorId, userId, name, `${label}-spec`, `LIC-${userId}`],
    );
    await doctor.execute(
      `insert into workplaces (id, doctor_id, name, type, time_zone, working_hours, city) values (?, ?, ?, 'CLINIC', 'Africa/Cairo', ?, 'Cairo')`,
      [workplaceId, doctorId, `Clinic ${i}`, JSON.stringify(EVERY_DAY_9_TO_5)],
    );
    ids.push({ userId, doctorId, name, workplaceId });
  }
  return { label, specialization: `${label}-spec`, doctors: ids };
}

/** Test factories for the doctor subgraph: users arrive through the real user.changed handler. */
export function doctorTestKit(orm: MikroORM, keys: TestKeys, url: string) {
  const call = <T = any>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
    gql<T>(url, query, variables, { token });

  async function createUser(role: Role, name = `${role.toLowerCase()} ${randomUUID().slice(0, 6)}`) {
    const id = randomUUID();
    const email = `${role.toLowerCase()}.${id.slice(0, 8)}@example.com`;
    await applyUserChanged(orm, {
      userId: id,
      name,
      email,
      phone: null,
      role,
      isVerified: true,
      updatedAt: new Date().toISOString(),
    });
    return { id, name, email, role, token: signTestToken(keys, { id, role, email }) };
  }

  const admin = { id: randomUUID(), token: signTestToken(keys, { role: 'ADMIN' }) };

  /** An approved doctor with one workplace open every day 09:00–17:00 (30-minute slots). */
  async function createDoctor(opts: { name?: string; timeZone?: string; city?: string; specialization?: string } = {}) {
    const user = await createUser('DOCTOR', opts.name);
    const profile = await call(
      `mutation($i: DoctorProfileInput!) { upsertDoctorProfile(input: $i) { id verificationStatus } }`,
      { i: { specialization: opts.specialization ?? 'Cardiology', licenseNumber: `LIC-${randomUUID().slice(0, 12)}` } },
      user.token,
    );
    if (profile.errors) throw new Error(JSON.stringify(profile.errors));
    const doctorId = profile.data.upsertDoctorProfile.id as string;
    const review = await call(
      `mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { verificationStatus } }`,
      { id: doctorId },
      admin.token,
    );
    if (review.errors) throw new Error(JSON.stringify(review.errors));
    const workplaceId = await createWorkplace(user.token, { timeZone: opts.timeZone, city: opts.city });
    return { ...user, doctorId, workplaceId };
  }

  async function createWorkplace(token: string, opts: { timeZone?: string; city?: string } = {}) {
    const days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
    const res = await call(
      `mutation($i: WorkplaceInput!) { createWorkplace(input: $i) { id } }`,
      {
        i: {
          name: 'Main clinic',
          type: 'CLINIC',
          timeZone: opts.timeZone ?? 'UTC',
          workingHours: days.map((day) => ({ day, start: '09:00', end: '17:00' })),
          slotDurationMinutes: 30,
          consultationFee: '250.00',
          currency: 'EGP',
          address: { type: 'CLINIC', street: '1 Nile St', city: opts.city ?? 'Cairo', country: 'Egypt' },
        },
      },
      token,
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.createWorkplace.id as string;
  }

  /** A slot start `days` ahead at `hour`:00 in the zone (default UTC). */
  const slotAt = (days: number, hour = 10, zone = 'UTC') =>
    DateTime.now().setZone(zone).plus({ days }).set({ hour, minute: 0, second: 0, millisecond: 0 }).toUTC().toISO()!;

  const BOOK = `mutation($i: BookAppointmentInput!) { bookAppointment(input: $i) { id status startsAt endsAt } }`;
  const book = (token: string, workplaceId: string, startsAt: string, patientId?: string) =>
    call(BOOK, { i: { workplaceId, startsAt, patientId } }, token);

  return { call, createUser, createDoctor, createWorkplace, admin, slotAt, book };
}
