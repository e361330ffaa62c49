// npm run ops:patient-export / ops:patient-erase against four real databases with the committed migrations.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOrm, dropDatabase, withDatabase, type Orm } from '@hc/db';
import { migrations as authMigrations } from '@hc/auth-subgraph/migrations';
import { migrations as doctorMigrations } from '@hc/doctor-subgraph/migrations';
import { migrations as notificationMigrations } from '@hc/notification-subgraph/migrations';
import { migrations as pharmacyMigrations } from '@hc/pharmacy-subgraph/migrations';

const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const tag = randomUUID().slice(0, 8);
const services = {
  auth: authMigrations,
  doctor: doctorMigrations,
  notification: notificationMigrations,
  pharmacy: pharmacyMigrations,
};
type Name = keyof typeof services;
const urls = Object.fromEntries(
  Object.keys(services).map((s) => [s, withDatabase(server, `test_tools_patient_${s}_${tag}`)]),
) as Record<Name, string>;

function run(script: string, userId: string) {
  const res = spawnSync(process.execPath, ['--import', './scripts/register.js', `scripts/ops/${script}.ts`, userId], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      AUTH_DATABASE_URL: urls.auth,
      DOCTOR_DATABASE_URL: urls.doctor,
      NOTIFICATION_DATABASE_URL: urls.notification,
      PHARMACY_DATABASE_URL: urls.pharmacy,
    },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`${script} failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

describe('npm run ops:patient-export / ops:patient-erase', () => {
  const orms = {} as Record<Name, Orm>;
  const sql = (s: Name, q: string, p: unknown[] = []) => orms[s].em.getConnection().execute(q, p);
  const patient = randomUUID();
  const bystander = randomUUID();
  const order = randomUUID();

  beforeAll(async () => {
    for (const [name, migrations] of Object.entries(services) as [Name, typeof authMigrations][])
      orms[name] = await createOrm({ databaseUrl: urls[name], entities: [], migrations, migrate: true });
    for (const [id, name] of [
      [patient, 'Pat Doe'],
      [bystander, 'Bea Stander'],
    ]) {
      const email = `${id.slice(0, 8)}@example.com`;
      await sql(
        'auth',
        `insert into users (id, name, email, password_hash, role, phone) values (?, ?, ?, 'x', 'PATIENT', '+201001234567')`,
        [id, name, email],
      );
      await sql('auth', `insert into patient_profiles (user_id, medical_history) values (?, 'asthma')`, [id]);
      await sql(
        'auth',
        `insert into addresses (id, user_id, type, street, city, country) values (?, ?, 'HOME', '1 Nile St', 'Cairo', 'Egypt')`,
        [randomUUID(), id],
      );
      await sql('doctor', `insert into user_copies (user_id, name, email, role, updated_at) values (?, ?, ?, 'PATIENT', now())`, [
        id,
        name,
        email,
      ]);
      await sql(
        'notification',
        `insert into contacts (user_id, name, email, phone, role, updated_at) values (?, ?, ?, null, 'PATIENT', now())`,
        [id, name, email],
      );
      await sql(
        'notification',
        `insert into notifications (id, idempotency_key, user_id, template, channel, status, destination) values (?, ?, ?, 'order.confirmed', 'EMAIL', 'SENT', ?)`,
        [randomUUID(), `k-${id}`, id, email],
      );
    }
    const pharmacy = randomUUID();
    const branch = randomUUID();
    await sql(
      'pharmacy',
      `insert into pharmacies (id, owner_id, name, license_number, address, phone, email) values (?, ?, 'P', 'L', 'A', '1', 'p@example.com')`,
      [pharmacy, randomUUID()],
    );
    await sql(
      'pharmacy',
      `insert into pharmacy_branches (id, pharmacy_id, name, address, city) values (?, ?, 'B', 'A', 'Cairo')`,
      [branch, pharmacy],
    );
    await sql(
      'pharmacy',
      `insert into orders (id, patient_id, pharmacy_id, branch_id, delivery_address) values (?, ?, ?, ?, '{"street":"1 Nile St"}')`,
      [order, patient, pharmacy, branch],
    );
  });

  afterAll(async () => {
    for (const name of Object.keys(services) as Name[]) {
      await orms[name]?.close();
      await dropDatabase(urls[name]);
    }
  });

  it('exports everything about the patient across the four databases, and nothing of anyone else', () => {
    const out = run('patient-export', patient);
    expect(out.userId).toBe(patient);
    expect(out.data.auth.user[0]).toMatchObject({ id: patient, name: 'Pat Doe' });
    expect(out.data.auth.user[0].password_hash).toBeUndefined();
    expect(out.data.auth.patientProfile[0].medical_history).toBe('asthma');
    expect(out.data.auth.addresses).toHaveLength(1);
    expect(out.data.doctor.userCopy).toHaveLength(1);
    expect(out.data.notification.notifications).toHaveLength(1);
    expect(out.data.pharmacy.orders.map((o: { id: string }) => o.id)).toEqual([order]);
    expect(JSON.stringify(out)).not.toContain(bystander);
  });

  it('erases identity and health data, keeps pseudonymised records, leaves other patients alone', async () => {
    run('patient-erase', patient);
    const [user] = await sql('auth', `select name, email, phone, password_hash from users where id = ?`, [patient]);
    expect(user).toEqual({ name: 'Erased user', email: `erased+${patient}@invalid`, phone: null, password_hash: '!' });
    expect(await sql('auth', `select 1 from patient_profiles where user_id = ?`, [patient])).toHaveLength(0);
    expect(await sql('auth', `select 1 from addresses where user_id = ?`, [patient])).toHaveLength(0);
    expect((await sql('doctor', `select name from user_copies where user_id = ?`, [patient]))[0].name).toBe('Erased user');
    expect(await sql('notification', `select 1 from contacts where user_id = ?`, [patient])).toHaveLength(0);
    expect(await sql('notification', `select 1 from notifications where user_id = ?`, [patient])).toHaveLength(0);
    // The order stays (a sales record) without the delivery address.
    expect(await sql('pharmacy', `select delivery_address from orders where id = ?`, [order])).toEqual([
      { delivery_address: null },
    ]);
    // The other patient is untouched.
    expect(await sql('auth', `select 1 from patient_profiles where user_id = ?`, [bystander])).toHaveLength(1);
    expect(await sql('notification', `select 1 from notifications where user_id = ?`, [bystander])).toHaveLength(1);
    // The export now shows only what is kept.
    const after = run('patient-export', patient);
    expect(JSON.stringify(after)).not.toContain('Pat Doe');
    expect(JSON.stringify(after)).not.toContain('asthma');
  });
});
