// npm run seed — demo data for a running system (`npm start` in another terminal). Idempotent:
// running it again finds what exists and adds only what is missing.
//
// Accounts are provisioned through auth's own entities (verified, bcrypt-hashed, `user.changed`
// published through the outbox so the other subgraphs' read copies follow); everything else goes
// through the public GraphQL API at the gateway, as an app would, so every rule (slots, stock,
// permissions) applies to demo data too. Past appointments, which the API rightly refuses to
// book, are written to the doctor database directly.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '@hc/db';
import { resolveTarget } from './ops/connect.ts';
import { entities as authEntities, migrations as authMigrations } from '@hc/auth-subgraph/entities';
import { KeyStore, publishUserChanged, TokenService, User } from '@hc/auth-subgraph/admin';
import { authEnv, loadConfig } from '@hc/config';

// Demo accounts share one known password: never against a production system.
if (process.env.NODE_ENV === 'production') {
  process.stderr.write(
    'npm run seed: refusing to run with NODE_ENV=production (it creates demo accounts with a known password)\n',
  );
  process.exit(1);
}

const GATEWAY = process.env.GATEWAY_URL ?? `http://127.0.0.1:${process.env.GATEWAY_PORT ?? 3000}/graphql`;
// Same resolution as the operator commands: env, else what `npm start` recorded (embedded PGlite), else defaults.
const dbUrl = resolveTarget().databaseUrl;
const PASSWORD = process.env.SEED_PASSWORD ?? 'demo-password-2026';
const DOMAIN = 'demo.health';

// ---------------------------------------------------------------------------- GraphQL client

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string; retryAfterSeconds?: number } }[] };
  // The seed is one client sending thousands of requests: it waits out the gateway's rate limit.
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(GATEWAY, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    body = (await res.json()) as typeof body;
    const limited = body.errors?.find((e) => e.extensions?.code === 'RATE_LIMITED');
    if (!limited || attempt >= 20) break;
    await new Promise((r) => setTimeout(r, Math.max(1, Number(limited.extensions?.retryAfterSeconds ?? 1)) * 1000));
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw Object.assign(new Error(`${e.extensions?.code ?? 'ERROR'}: ${e.message}`), { code: e.extensions?.code });
  }
  return body.data as T;
}

/** Retries while read copies catch up (events travel auth → outbox → BullMQ → consumer). */
async function eventually<T>(what: string, fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Runs tasks with bounded concurrency. */
async function pool<T>(items: T[], size: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---------------------------------------------------------------------------- accounts

type Role = 'PATIENT' | 'DOCTOR' | 'ASSISTANT' | 'PHARMACY' | 'ADMIN';
interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  token: string;
}

const authOrm = await MikroORM.init(
  ormConfig({ databaseUrl: dbUrl('auth'), entities: authEntities, migrations: authMigrations }),
);
const passwordHash = await bcrypt.hash(PASSWORD, 10);
// Same keys and settings as the running auth service (KEYS_DIR / JWT_PRIVATE_KEY): tokens are
// minted here rather than by `login`, which is rate limited per IP.
const authConfig = loadConfig(authEnv, { ...process.env, DATABASE_URL: dbUrl('auth') });
const tokens = new TokenService(
  KeyStore.load({
    pem: authConfig.JWT_PRIVATE_KEY,
    file: authConfig.JWT_PRIVATE_KEY_FILE,
    dir: authConfig.KEYS_DIR,
    production: false,
  }),
  {
    issuer: authConfig.JWT_ISSUER,
    audience: authConfig.JWT_AUDIENCE,
    accessTtlSeconds: 3600,
    refreshTtlSeconds: authConfig.REFRESH_TOKEN_TTL_SECONDS,
    refreshIdleSeconds: authConfig.REFRESH_TOKEN_IDLE_SECONDS,
  },
);

async function account(email: string, name: string, role: Role): Promise<Account> {
  const em = authOrm.em.fork();
  let user = await em.findOne(User, { email });
  if (!user) {
    user = em.create(User, { name, email, role, passwordHash, isVerified: true, emailVerifiedAt: new Date() } as never);
    publishUserChanged(em, user);
    await em.flush();
  }
  return { id: user.id, email, name, role, token: tokens.signAccessToken(user) };
}

// ---------------------------------------------------------------------------- world

const FIRST = [
  'Amira',
  'Omar',
  'Lina',
  'Karim',
  'Sara',
  'Youssef',
  'Nour',
  'Hassan',
  'Maya',
  'Adam',
  'Leila',
  'Tarek',
  'Hana',
  'Ziad',
  'Rana',
  'Samir',
  'Dina',
  'Fadi',
  'Mona',
  'Rami',
  'Emma',
  'Lucas',
  'Sofia',
  'Noah',
  'Mia',
];
const LAST = [
  'Haddad',
  'Mansour',
  'Khalil',
  'Nasser',
  'Farouk',
  'Saleh',
  'Aziz',
  'Rahman',
  'Smith',
  'Jones',
  'Weber',
  'Müller',
  'Tanaka',
  'Sato',
  'Garcia',
];
const SPECIALTIES = [
  'Cardiology',
  'Dermatology',
  'Pediatrics',
  'Neurology',
  'Orthopedics',
  'Ophthalmology',
  'Psychiatry',
  'General Practice',
  'Gynecology',
  'ENT',
];
const CITIES = [
  { city: 'Cairo', country: 'EG', timeZone: 'Africa/Cairo', currency: 'EGP', fee: '450.00' },
  { city: 'London', country: 'GB', timeZone: 'Europe/London', currency: 'GBP', fee: '120.00' },
  { city: 'New York', country: 'US', timeZone: 'America/New_York', currency: 'USD', fee: '180.00' },
  { city: 'Dubai', country: 'AE', timeZone: 'Asia/Dubai', currency: 'AED', fee: '350.00' },
  { city: 'Berlin', country: 'DE', timeZone: 'Europe/Berlin', currency: 'EUR', fee: '95.00' },
];
const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'];
const personName = (i: number) => `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
const pad = (n: number) => String(n).padStart(2, '0');

console.log(`Seeding through ${GATEWAY} ...`);
const admin = await account(`admin@${DOMAIN}`, 'Demo Admin', 'ADMIN');

// Doctors: profile, one or two workplaces, approved by the admin.
const doctors: (Account & { doctorId: string; workplaceIds: string[] })[] = [];
await pool(
  Array.from({ length: 50 }, (_, i) => i),
  6,
  async (i) => {
    const acc = await account(`doctor${pad(i + 1)}@${DOMAIN}`, `Dr. ${personName(i)}`, 'DOCTOR');
    const place = CITIES[i % CITIES.length];
    const { upsertDoctorProfile: doc } = await gql(
      `mutation($input: DoctorProfileInput!) { upsertDoctorProfile(input: $input) { id workplaces { id } } }`,
      {
        input: {
          specialization: SPECIALTIES[i % SPECIALTIES.length],
          licenseNumber: `DEMO-LIC-${pad(i + 1)}`,
          biography: `${SPECIALTIES[i % SPECIALTIES.length]} specialist in ${place.city} with ${5 + (i % 20)} years of practice.`,
        },
      },
      acc.token,
    );
    let workplaceIds: string[] = doc.workplaces.map((w: { id: string }) => w.id);
    if (workplaceIds.length === 0) {
      const { createWorkplace } = await gql(
        `mutation($input: WorkplaceInput!) { createWorkplace(input: $input) { id } }`,
        {
          input: {
            name: `${LAST[(i * 7) % LAST.length]} ${SPECIALTIES[i % SPECIALTIES.length]} Clinic`,
            type: i % 4 === 0 ? 'HOSPITAL' : 'CLINIC',
            isPrimary: true,
            timeZone: place.timeZone,
            workingHours: WEEKDAYS.map((day) => ({ day, start: '09:00', end: i % 2 ? '17:00' : '13:00' })),
            slotDurationMinutes: [15, 20, 30][i % 3],
            consultationFee: place.fee,
            currency: place.currency,
            servicesOffered: ['Consultation', 'Follow-up'],
            insuranceAccepted: i % 3 ? ['AXA', 'Allianz'] : [],
            phoneNumber: `+4420712345${pad(i)}`,
            address: {
              type: 'CLINIC',
              street: `${10 + i} Health Street`,
              city: place.city,
              country: place.country,
              isDefault: true,
            },
          },
        },
        acc.token,
      );
      workplaceIds = [createWorkplace.id];
    }
    await gql(`mutation($id: ID!) { reviewDoctor(doctorId: $id, status: APPROVED) { id } }`, { id: doc.id }, admin.token).catch(
      (e: { code?: string }) => {
        if (e.code !== 'CONFLICT') throw e; // already reviewed
      },
    );
    doctors.push({ ...acc, doctorId: doc.id, workplaceIds });
  },
);
doctors.sort((a, b) => a.email.localeCompare(b.email));
console.log(`  ${doctors.length} approved doctors with workplaces in ${CITIES.length} cities / time zones`);

// Patients with upcoming appointments booked through the API.
const patients: Account[] = [];
for (let i = 0; i < 20; i++) patients.push(await account(`patient${pad(i + 1)}@${DOMAIN}`, personName(i + 3), 'PATIENT'));
let upcoming = 0;
await pool(patients, 4, async (patient, i) => {
  const doctor = doctors[i % doctors.length];
  const mine = await gql(`query { myAppointments(first: 5) { totalCount } }`, {}, patient.token);
  if (mine.myAppointments.totalCount > 0) return;
  const from = new Date(Date.now() + 24 * 3600_000 * (1 + (i % 5)));
  const to = new Date(from.getTime() + 7 * 24 * 3600_000);
  const { doctor: d } = await gql(
    // One workplace: a week of slots across all of a doctor's workplaces is above the default cost limit.
    `query($id: ID!, $from: DateTime!, $to: DateTime!, $w: ID) { doctor(id: $id) { availableSlots(from: $from, to: $to, workplaceId: $w) { workplaceId startsAt } } }`,
    { id: doctor.doctorId, from: from.toISOString(), to: to.toISOString(), w: doctor.workplaceIds[0] },
    patient.token,
  );
  const slot = d.availableSlots[(i * 3) % Math.max(1, d.availableSlots.length)];
  if (!slot) return;
  const { bookAppointment } = await gql(
    `mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }`,
    { input: { workplaceId: slot.workplaceId, startsAt: slot.startsAt, notes: 'Seeded demo appointment' } },
    patient.token,
  );
  if (i % 2 === 0)
    await gql(`mutation($id: ID!) { confirmAppointment(id: $id) { id } }`, { id: bookAppointment.id }, doctor.token);
  upcoming++;
});

// Past appointments (completed / no-show) straight into the doctor database.
const doctorOrm = await MikroORM.init(ormConfig({ databaseUrl: dbUrl('doctor'), entities: [], migrations: [] }));
const conn = doctorOrm.em.getConnection();
const [{ count: pastCount }] = await conn.execute<{ count: string }[]>(
  `select count(*) from appointments where starts_at < now()`,
);
let past = Number(pastCount);
if (past === 0) {
  for (let i = 0; i < 20; i++) {
    const doctor = doctors[(i * 3) % doctors.length];
    const startsAt = new Date(Date.now() - (i + 2) * 24 * 3600_000);
    startsAt.setUTCHours(8 + (i % 6), 0, 0, 0);
    await conn.execute(
      `insert into appointments (id, patient_id, doctor_id, doctor_user_id, workplace_id, starts_at, ends_at, status, notes, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, 'Seeded past visit', now(), now())`,
      [
        randomUUID(),
        patients[i].id,
        doctor.doctorId,
        doctor.id,
        doctor.workplaceIds[0],
        startsAt,
        new Date(startsAt.getTime() + 30 * 60_000),
        i % 5 === 4 ? 'NO_SHOW' : 'COMPLETED',
      ],
    );
    past++;
  }
}
await doctorOrm.close();
console.log(`  ${patients.length} patients, ${upcoming} new upcoming and ${past} past appointments`);

// Assistants: invited to the first doctors' workplaces; some accepted.
const assistants: Account[] = [];
for (let i = 0; i < 6; i++) assistants.push(await account(`assistant${pad(i + 1)}@${DOMAIN}`, personName(i + 11), 'ASSISTANT'));
let accepted = 0;
for (const [i, assistant] of assistants.entries()) {
  const doctor = doctors[i % 3];
  const { assistantInvites } = await gql(`query { assistantInvites { id status } }`, {}, assistant.token);
  if (assistantInvites.length > 0) continue;
  // An invite reaches an assistant the doctor subgraph knows (its user copy, from `user.changed`);
  // one sent before the copy arrives goes to the bare email and never reaches the account.
  await eventually(`the doctor subgraph's copy of ${assistant.email}`, async () => {
    const rows = await conn.execute(`select 1 from user_copies where user_id = ?`, [assistant.id]);
    if (rows.length === 0) throw new Error('not there yet');
  });
  const { inviteAssistant } = await eventually('invite assistant (waiting for the read copy)', () =>
    gql(
      `mutation($input: InviteAssistantInput!) { inviteAssistant(input: $input) { id } }`,
      {
        input: {
          assistantEmail: assistant.email,
          workplaceId: doctor.workplaceIds[0],
          message: 'Would you join our front desk?',
        },
      },
      doctor.token,
    ),
  );
  if (i < 4) {
    await gql(
      `mutation($id: ID!) { respondToInvite(inviteId: $id, accept: true) { id } }`,
      { id: inviteAssistant.id },
      assistant.token,
    );
    accepted++;
  }
}
console.log(`  ${assistants.length} assistants (${accepted} newly assigned, the rest with pending invites)`);

// Pharmacies: owners, branches, catalogue (about 1,000 items, some prescription-only), stock.
const CATEGORIES = [
  'Pain relief',
  'Cold & flu',
  'Vitamins',
  'Skin care',
  'Digestive health',
  'Allergy',
  'Antibiotics',
  'Heart & blood pressure',
  'Diabetes care',
  'Baby care',
];
const categoryIds: string[] = [];
// Signed in: anonymous public reads may come from the short-lived response cache.
const { categories: existingCategories } = await gql(`query { categories { id name } }`, {}, admin.token);
for (const name of CATEGORIES) {
  const found = existingCategories.find((c: { name: string }) => c.name === name);
  if (found) categoryIds.push(found.id);
  else
    categoryIds.push(
      (await gql(`mutation($n: String!) { createCategory(name: $n) { id } }`, { n: name }, admin.token)).createCategory.id,
    );
}
const MEDICINES = [
  'Paracetamol',
  'Ibuprofen',
  'Amoxicillin',
  'Cetirizine',
  'Loratadine',
  'Omeprazole',
  'Metformin',
  'Atorvastatin',
  'Amlodipine',
  'Vitamin D3',
  'Vitamin C',
  'Zinc',
  'Azithromycin',
  'Hydrocortisone',
  'Lisinopril',
  'Salbutamol',
  'Aspirin',
  'Diclofenac',
  'Loperamide',
  'Folic acid',
];
const FORMS = ['tablet', 'capsule', 'syrup', 'cream', 'drops'];
const PRESCRIPTION = new Set([
  'Amoxicillin',
  'Metformin',
  'Atorvastatin',
  'Amlodipine',
  'Azithromycin',
  'Lisinopril',
  'Salbutamol',
]);

const pharmacyOwners: Account[] = [];
for (let p = 0; p < 5; p++) {
  const owner = await account(`pharmacy${pad(p + 1)}@${DOMAIN}`, `${LAST[p]} Pharmacy Group`, 'PHARMACY');
  pharmacyOwners.push(owner);
  const { upsertPharmacy } = await gql(
    `mutation($input: PharmacyInput!) { upsertPharmacy(input: $input) { id branches { id } } }`,
    {
      input: {
        name: `${LAST[p]} Pharmacy`,
        licenseNumber: `DEMO-PH-${pad(p + 1)}`,
        address: `${p + 1} Market Square, ${CITIES[p].city}`,
        phone: `+2025550${pad(p)}00`,
        email: owner.email,
      },
    },
    owner.token,
  );
  // New pharmacies wait for review; the demo ones are approved by the admin.
  await gql(
    `mutation($id: ID!) { reviewPharmacy(pharmacyId: $id, status: APPROVED) { id } }`,
    { id: upsertPharmacy.id },
    admin.token,
  );
  if (upsertPharmacy.branches.length > 0) continue; // seeded before
  const branchIds: string[] = [];
  for (let b = 0; b < 2; b++) {
    const place = CITIES[(p + b) % CITIES.length];
    const { addBranch } = await gql(
      `mutation($input: BranchInput!) { addBranch(input: $input) { id } }`,
      {
        input: {
          name: `${LAST[p]} ${place.city} ${b ? 'Central' : 'North'}`,
          address: `${20 + b} High Street`,
          city: place.city,
          managerName: personName(p + b),
        },
      },
      owner.token,
    );
    branchIds.push(addBranch.id);
  }
  // 200 products per pharmacy group → about 1,000 in the catalogue.
  const products = Array.from({ length: 200 }, (_, k) => {
    const base = MEDICINES[k % MEDICINES.length];
    const strength = [100, 200, 250, 400, 500, 1000][(k + p) % 6];
    return {
      base,
      name: `${base} ${strength} mg ${FORMS[k % FORMS.length]} (${LAST[p]} ${Math.floor(k / MEDICINES.length) + 1})`,
      k,
    };
  });
  await pool(products, 8, async ({ base, name, k }) => {
    const { createItem } = await gql(
      `mutation($input: ItemInput!) { createItem(input: $input) { id } }`,
      {
        input: {
          name,
          categoryId: categoryIds[k % categoryIds.length],
          manufacturer: ['Pharco', 'Eva Pharma', 'GSK', 'Pfizer', 'Bayer'][k % 5],
          description: `${base} for everyday use.`,
          medicine: {
            dosage: `${1 + (k % 3)} times a day`,
            form: FORMS[k % FORMS.length],
            prescriptionRequired: PRESCRIPTION.has(base),
            sideEffects: 'See leaflet',
          },
        },
      },
      owner.token,
    );
    for (const [b, branchId] of branchIds.entries()) {
      await gql(
        `mutation($input: StockInput!) { setStock(input: $input) { available } }`,
        {
          input: {
            branchId,
            itemId: createItem.id,
            quantity: (k * 7 + b * 3) % 60,
            price: `${(2 + ((k * 13) % 90)).toFixed(0)}.${pad((k * 17) % 100)}`,
            minStockLevel: 5,
          },
        },
        owner.token,
      );
    }
  });
}
console.log(
  `  ${pharmacyOwners.length} pharmacies with 2 branches each, ${CATEGORIES.length} categories, 1,000 products with stock`,
);

// Prescriptions written at some of the completed past visits, through the API, against
// prescription-only catalogue items that have stock (read from the pharmacy database: the public
// product list shows non-prescription items only). The doctor subgraph publishes each one to the
// pharmacy's copy through the outbox; once the copy has it, the first three are partly dispensed
// through real orders. Once any prescription exists, a rerun adds none.
{
  const rxDoctorOrm = await MikroORM.init(ormConfig({ databaseUrl: dbUrl('doctor'), entities: [], migrations: [] }));
  const pharmacyOrm = await MikroORM.init(ormConfig({ databaseUrl: dbUrl('pharmacy'), entities: [], migrations: [] }));
  const rx = rxDoctorOrm.em.getConnection();
  const pconn = pharmacyOrm.em.getConnection();
  const [{ count: existing }] = await rx.execute<{ count: string }[]>(`select count(*) from prescriptions`);
  let written = 0;
  let dispensedSeeded = 0;
  if (Number(existing) === 0) {
    // Prescription-only items with stock, the same choice on every run: by name, then branch.
    const items = await pconn.execute<{ itemId: string; branchId: string }[]>(
      `select distinct on (i.name) i.id as "itemId", s.branch_id as "branchId"
         from items i join stock_entries s on s.item_id = i.id and s.quantity >= 5
        where i.prescription_required order by i.name, s.branch_id limit 16`,
    );
    const visits = await rx.execute<{ id: string; doctor_user_id: string; patient_id: string }[]>(
      `select id, doctor_user_id, patient_id from appointments where status = 'COMPLETED' and starts_at < now() order by starts_at desc limit 8`,
    );
    const issued: { id: string; patientId: string; line: { itemId: string; branchId: string } }[] = [];
    for (const [i, v] of visits.entries()) {
      const doctor = doctors.find((d) => d.id === v.doctor_user_id);
      if (!doctor || items.length < 2) continue;
      const lines = [items[(i * 2) % items.length], items[(i * 2 + 1) % items.length]];
      const { issuePrescription } = await gql(
        `mutation($input: IssuePrescriptionInput!) { issuePrescription(input: $input) { id } }`,
        {
          input: {
            appointmentId: v.id,
            items: lines.map((item, k) => ({
              itemId: item.itemId,
              quantity: k === 0 ? 4 : 2,
              dosageInstructions: k === 0 ? '1 tablet every morning' : '1 tablet twice a day after meals',
            })),
            notes: 'Seeded demo prescription',
            validDays: i % 3 === 0 ? 90 : 30,
          },
        },
        doctor.token,
      );
      written++;
      if (i === visits.length - 1)
        await gql(
          `mutation($id: ID!, $reason: String) { cancelPrescription(id: $id, reason: $reason) { id } }`,
          { id: issuePrescription.id, reason: 'Replaced by a different dosage' },
          doctor.token,
        );
      else issued.push({ id: issuePrescription.id, patientId: v.patient_id, line: lines[0] });
    }
    // Partly dispense the first three once the pharmacy's copy has them (event lag ≈ a second).
    for (const p of issued.slice(0, 3)) {
      const patient = patients.find((a) => a.id === p.patientId);
      if (!patient) continue;
      for (let t = 0; t < 30; t++) {
        const rows = await pconn.execute(`select 1 from prescriptions where id = ?`, [p.id]);
        if (rows.length) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await gql(
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
        { input: { branchId: p.line.branchId, items: [{ itemId: p.line.itemId, quantity: 2 }], prescriptionId: p.id } },
        patient.token,
      )
        .then(() => dispensedSeeded++)
        .catch((error) => console.warn(`  prescription order not placed: ${(error as Error).message}`));
    }
  }
  await rxDoctorOrm.close();
  await pharmacyOrm.close();
  console.log(`  ${written} new prescriptions at completed visits (the last one cancelled, ${dispensedSeeded} partly dispensed)`);
}

// Waitlist with an open offer: patient18 books a slot, patient19 and patient20 wait for that
// time (19 first), patient18 cancels — the slot is held for patient19 for WAITLIST_OFFER_MINUTES,
// then for patient20, then public. A rerun adds a new round only once patient19 waits for nothing.
{
  const [holder, first, second] = [patients[17], patients[18], patients[19]];
  const doctor = doctors[0];
  const MINE = `query { myWaitlist { id status } }`;
  const { myWaitlist } = await gql(MINE, {}, first.token);
  let seeded = 'kept the existing waitlist';
  if (!myWaitlist.some((e: { status: string }) => e.status === 'WAITING' || e.status === 'OFFERED')) {
    const from = new Date(Date.now() + 3 * 24 * 3600_000);
    const to = new Date(from.getTime() + 2 * 24 * 3600_000);
    const { doctor: d } = await gql(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { doctor(id: $id) { availableSlots(from: $from, to: $to) { workplaceId startsAt endsAt } } }`,
      { id: doctor.doctorId, from: from.toISOString(), to: to.toISOString() },
      holder.token,
    );
    for (const slot of d.availableSlots as { workplaceId: string; startsAt: string; endsAt: string }[]) {
      const booked = await gql(
        `mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { id } }`,
        { input: { workplaceId: slot.workplaceId, startsAt: slot.startsAt, notes: 'Seeded, cancelled for the waitlist demo' } },
        holder.token,
      ).catch((e: { code?: string }) => {
        if (e.code !== 'CONFLICT') throw e; // the holder is busy then: try the next slot
        return null;
      });
      if (!booked) continue;
      const window = { workplaceId: slot.workplaceId, from: slot.startsAt, to: slot.endsAt };
      for (const p of [first, second])
        await gql(`mutation($i: JoinWaitlistInput!) { joinWaitlist(input: $i) { id } }`, { i: window }, p.token);
      await gql(
        `mutation($id: ID!) { cancelAppointment(id: $id, reason: "Plans changed") { id } }`,
        { id: booked.bookAppointment.id },
        holder.token,
      );
      seeded = `slot ${slot.startsAt} offered to ${first.email}, ${second.email} next in line`;
      break;
    }
  }
  console.log(`  waitlist: ${seeded}`);
}

await authOrm.close();
console.log(`
Demo accounts (password for all: ${PASSWORD})
  admin       admin@${DOMAIN}
  doctors     doctor01@${DOMAIN} … doctor50@${DOMAIN}
  patients    patient01@${DOMAIN} … patient20@${DOMAIN}
  assistants  assistant01@${DOMAIN} … assistant06@${DOMAIN}   (01–04 assigned, 05–06 with pending invites)
  pharmacies  pharmacy01@${DOMAIN} … pharmacy05@${DOMAIN}

Log in (Apollo Sandbox at ${GATEWAY.replace(/\/graphql$/, '/')}):
  mutation { login(email: "patient01@${DOMAIN}", password: "${PASSWORD}") { accessToken } }
then set the header  Authorization: Bearer <accessToken>  and try docs/operations.md.
`);
