/**
 * Audit overhead, through the gateway, everything in this process (four subgraphs + gateway on
 * fresh databases): p95 latency of
 *  1. the public doctor directory (20 doctors; no protected field, so only the response gate runs);
 *  2. a doctor's patient page `myPatients(first: 50) { email patientProfile { ... } }` (50 profile
 *     reads and 50 email reads recorded per request, one insert),
 * each with auditing on, then off (the process-wide switch the audit package keeps for this
 * benchmark alone; deployed services cannot turn their trail off).
 * Run: npm run bench:audit  (env: BENCH_SECONDS=5 per target and mode, BENCH_CONNECTIONS=10)
 */
import { randomUUID } from 'node:crypto';
import { setAuditEnabled } from '@hc/audit';
import { gql, signTestToken, startSupergraph } from '@hc/testing';
import { seedDirectory } from '@hc/doctor-subgraph/testing';
import { fmtMs as fmt, percentile as pct } from './harness.js';
import { supergraph } from '../scripts/subgraphs.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const DIRECTORY = `query Directory($first: Int, $spec: String) {
  doctors(first: $first, filter: { specialization: $spec }) { totalCount nodes { id specialization user { name } } }
}`;
const PATIENTS = `query Patients { myPatients(first: 50) {
  totalCount nodes { id email patientProfile { allergies medicalHistory } }
} }`;

/** `connections` workers issue requests back to back for `seconds`; latency of each is recorded. */
async function load(connections: number, seconds: number, request: (connection: number) => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const until = Date.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, connection) => {
      while (Date.now() < until) {
        const t = performance.now();
        if (!(await request(connection))) failures++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / ((performance.now() - started) / 1000),
    p95: pct(latencies, 95),
    failures,
  };
}

const sg = await startSupergraph(supergraph, {
  env: { LOG_LEVEL: 'error' },
  envFor: { auth: { AUTH_OUTBOX_RELAY: 'false' }, gateway: { RATE_LIMIT_ENABLED: 'false' } },
});
try {
  const seeded = await seedDirectory(sg, 40, 'auditbench');
  const doctor = seeded.doctors[0];
  // One token per connection (different expiry): the gateway shares identical in-flight fetches
  // of one caller, which would hide most requests from the subgraphs.
  const tokens = Array.from({ length: CONNECTIONS }, (_, i) =>
    signTestToken(sg.keys, { id: doctor.userId, role: 'DOCTOR' }, { expiresInSeconds: 3600 + i }),
  );
  const auth = sg.subgraphs.auth.orm.em.getConnection();
  const doc = sg.subgraphs.doctor.orm.em.getConnection();
  const day = Date.UTC(2030, 0, 1, 9);
  for (let i = 0; i < 50; i++) {
    const id = randomUUID();
    await auth.execute(
      `insert into users (id, name, email, password_hash, role, is_verified) values (?, ?, ?, 'x', 'PATIENT', true)`,
      [id, `Patient ${i}`, `bench.p.${i}.${id.slice(0, 8)}@example.com`],
    );
    await auth.execute(
      `insert into patient_profiles (user_id, allergies, medical_history, updated_at) values (?, '{penicillin}', 'asthma', now())`,
      [id],
    );
    await auth.execute(
      `insert into care_relationships (staff_user_id, patient_id, active, updated_at) values (?, ?, true, now())`,
      [doctor.userId, id],
    );
    await doc.execute(
      `insert into appointments (id, patient_id, doctor_id, doctor_user_id, workplace_id, starts_at, ends_at, status)
       values (?, ?, ?, ?, ?, ?, ?, 'CONFIRMED')`,
      [
        randomUUID(),
        id,
        doctor.doctorId,
        doctor.userId,
        doctor.workplaceId,
        new Date(day + i * 3_600_000),
        new Date(day + i * 3_600_000 + 1_800_000),
      ],
    );
  }
  const directory = async () => !(await gql(sg.url, DIRECTORY, { first: 20, spec: seeded.specialization })).errors;
  const patients = async (connection = 0) => {
    const r = await gql(sg.url, PATIENTS, {}, { token: tokens[connection] });
    return !r.errors && r.data?.myPatients.nodes.length === 50;
  };
  if (!(await patients())) throw new Error('patient page query failed');

  const results: { target: string; mode: string; r: Awaited<ReturnType<typeof load>> }[] = [];
  for (const [target, request] of [
    ['directory (20 doctors)', directory],
    ['myPatients (50 profiles)', patients],
  ] as const) {
    for (const on of [true, false]) {
      setAuditEnabled(on);
      await load(CONNECTIONS, 1, request); // warm-up
      results.push({ target, mode: on ? 'audit on' : 'audit off', r: await load(CONNECTIONS, SECONDS, request) });
    }
  }
  setAuditEnabled(true);
  const rows = Number((await auth.execute(`select count(*) as n from audit_events`))[0].n);

  console.log(`audit overhead (in-process supergraph through the gateway, ${CONNECTIONS} connections, ${SECONDS}s per row)\n`);
  console.log(
    `${'target'.padEnd(28)}${'mode'.padEnd(11)}${'requests'.padStart(9)}${'req/s'.padStart(9)}${'p95'.padStart(10)}${'failed'.padStart(8)}`,
  );
  for (const { target, mode, r } of results) {
    console.log(
      `${target.padEnd(28)}${mode.padEnd(11)}${String(r.requests).padStart(9)}${r.rps.toFixed(0).padStart(9)}${fmt(r.p95).padStart(10)}${String(r.failures).padStart(8)}`,
    );
  }
  console.log(`\naudit_events rows written by auth during the run (50 profile + 50 email reads per patient page): ${rows}`);
} finally {
  setAuditEnabled(true);
  await sg.stop();
}
