// Export or erase everything the four databases hold about one patient (docs/privacy.md).
import pg from 'pg';

export type Service = 'auth' | 'doctor' | 'notification' | 'pharmacy';
export type DatabaseUrls = Record<Service, string>;

/** Per database: a label and the query that returns the patient's rows ($1 = user id). */
const EXPORT: Record<Service, [string, string][]> = {
  auth: [
    // The password hash and token hashes are secrets, not the patient's data: left out.
    [
      'user',
      `select id, name, email, phone, role, is_verified, profile_picture_url, date_of_birth, gender, created_at, updated_at
       from users where id = $1`,
    ],
    ['addresses', `select * from addresses where user_id = $1`],
    ['patientProfile', `select * from patient_profiles where user_id = $1`],
    ['careAccess', `select * from care_access where patient_id = $1`],
    [
      'sessions',
      `select id, family_id, created_at, used_at, revoked_at, family_expires_at from refresh_tokens where user_id = $1`,
    ],
  ],
  doctor: [
    ['userCopy', `select * from user_copies where user_id = $1`],
    ['appointments', `select * from appointments where patient_id = $1`],
    ['prescriptions', `select * from prescriptions where patient_id = $1`],
    [
      'prescriptionItems',
      `select pi.* from prescription_items pi join prescriptions p on p.id = pi.prescription_id where p.patient_id = $1`,
    ],
  ],
  notification: [
    ['contact', `select * from contacts where user_id = $1`],
    ['preferences', `select * from notification_preferences where user_id = $1`],
    ['notifications', `select * from notifications where user_id = $1`],
  ],
  pharmacy: [
    ['orders', `select * from orders where patient_id = $1`],
    ['orderItems', `select oi.* from order_items oi join orders o on o.id = oi.order_id where o.patient_id = $1`],
    ['deliveries', `select d.* from deliveries d join orders o on o.id = d.order_id where o.patient_id = $1`],
    ['reservations', `select * from reservations where patient_id = $1`],
    [
      'reservationItems',
      `select ri.* from reservation_items ri join reservations r on r.id = ri.reservation_id where r.patient_id = $1`,
    ],
    ['prescriptions', `select * from prescriptions where patient_id = $1`],
  ],
};

/**
 * Erasure keeps what the law requires a provider to keep (appointments, prescriptions, orders,
 * reservations: medical and tax records) as pseudonymised rows under the same opaque id, and
 * deletes or blanks everything that identifies the person or describes their health beyond that.
 */
const ERASE: Record<Service, string[]> = {
  auth: [
    `delete from addresses where user_id = $1`,
    `delete from patient_profiles where user_id = $1`,
    `delete from care_access where patient_id = $1`,
    `delete from refresh_tokens where user_id = $1`,
    `delete from otp_codes where user_id = $1`,
    // Published rows only: an unpublished one is still owed to a consumer.
    `delete from outbox where published_at is not null and payload::text like '%' || $1 || '%'`,
    // No password can match '!' (not a bcrypt hash): the account can no longer sign in.
    `update users set name = 'Erased user', email = 'erased+' || id || '@invalid', phone = null, date_of_birth = null,
       gender = null, profile_picture_url = null, password_hash = '!', is_verified = false,
       tokens_valid_after = now(), updated_at = now()
     where id = $1`,
  ],
  doctor: [
    `update user_copies set name = 'Erased user', email = 'erased+' || user_id || '@invalid', updated_at = now() where user_id = $1`,
    `update appointments set notes = null, cancellation_reason = null where patient_id = $1`,
    `delete from outbox where published_at is not null and payload::text like '%' || $1 || '%'`,
  ],
  notification: [
    `delete from notifications where user_id = $1`,
    `delete from notification_preferences where user_id = $1`,
    `delete from contacts where user_id = $1`,
    `delete from outbox where published_at is not null and payload::text like '%' || $1 || '%'`,
  ],
  pharmacy: [
    `update deliveries set address = null from orders o where o.id = deliveries.order_id and o.patient_id = $1`,
    `update orders set delivery_address = null where patient_id = $1`,
    `delete from outbox where published_at is not null and payload::text like '%' || $1 || '%'`,
  ],
};

const SERVICES: Service[] = ['auth', 'doctor', 'notification', 'pharmacy'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Whether the table a statement starts from exists in this database (older schemas lack some). */
async function tableOf(client: pg.Client, sql: string): Promise<boolean> {
  const table = /\b(?:from|update|into)\s+([a-z_]+)/i.exec(sql)?.[1];
  if (!table) return true;
  const { rows } = await client.query<{ t: string | null }>('select to_regclass($1) as t', [table]);
  return rows[0].t !== null;
}

/** Everything about the patient, per database and table. */
export async function exportPatient(urls: DatabaseUrls, userId: string): Promise<Record<Service, Record<string, unknown[]>>> {
  if (!UUID.test(userId)) throw new Error('userId must be a UUID');
  const out = {} as Record<Service, Record<string, unknown[]>>;
  for (const service of SERVICES) {
    out[service] = await withClient(urls[service], async (client) => {
      const parts: Record<string, unknown[]> = {};
      for (const [label, sql] of EXPORT[service])
        if (await tableOf(client, sql)) parts[label] = (await client.query(sql, [userId])).rows;
      return parts;
    });
  }
  return out;
}

/**
 * Erases the patient: one transaction per database (auth first: once the account is gone nobody
 * can sign in as them while the rest is erased). Returns the rows touched per database.
 */
export async function erasePatient(urls: DatabaseUrls, userId: string): Promise<Record<Service, number>> {
  if (!UUID.test(userId)) throw new Error('userId must be a UUID');
  const out = {} as Record<Service, number>;
  for (const service of SERVICES) {
    out[service] = await withClient(urls[service], async (client) => {
      let touched = 0;
      await client.query('begin');
      try {
        for (const sql of ERASE[service])
          if (await tableOf(client, sql)) touched += (await client.query(sql, [userId])).rowCount ?? 0;
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
      return touched;
    });
  }
  return out;
}
