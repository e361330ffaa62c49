import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSubgraph, type TestKeys, type TestSubgraph } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';
import { LocalDocumentStore } from './document.store.js';

const SECRET = randomBytes(32).toString('base64url');
const PUBLIC_URL = 'http://documents.example.test';
let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
let origin: string;
const dir = mkdtempSync(join(tmpdir(), 'doctor-docs-'));

beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph, {
    env: { DOCUMENTS_DIR: dir, DOCUMENTS_PUBLIC_URL: PUBLIC_URL, DOCUMENTS_URL_SECRET: SECRET, DOCUMENT_MAX_BYTES: '2048' },
  });
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
  origin = new URL(sg.graphqlUrl).origin;
});
afterAll(async () => {
  await sg?.stop();
});

const REQUEST = `mutation($k: DoctorDocumentKind!, $t: String!, $s: Int!) { requestDoctorDocumentUpload(kind: $k, contentType: $t, size: $s) { uploadUrl expiresAt } }`;
const DOCUMENTS = `query($id: ID!) { doctor(id: $id) { documents { kind contentType size uploadedAt downloadUrl } } }`;
const code = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

/** Signed URLs name the public address (DOCUMENTS_PUBLIC_URL); the test reaches the same routes on the test server. */
const local = (url: string) => url.replace(PUBLIC_URL, origin);
const pdf = (n: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(n - 9)]);
const png = (n: number) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(n - 8)]);
const put = (url: string, body: Buffer, contentType: string) =>
  fetch(local(url), { method: 'PUT', body: new Uint8Array(body), headers: { 'content-type': contentType } });

async function requestUpload(token: string, kind: string, contentType: string, size: number) {
  const res = await kit.call(REQUEST, { k: kind, t: contentType, s: size }, token);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.requestDoctorDocumentUpload as { uploadUrl: string; expiresAt: string };
}

describe('doctor documents (local store)', () => {
  it('a PENDING doctor uploads through a signed URL; the doctor and admins see it and download the same bytes', async () => {
    const user = await kit.createUser('DOCTOR');
    const profile = await kit.call(
      `mutation { upsertDoctorProfile(input: { specialization: "ENT", licenseNumber: "DOC-${randomBytes(4).toString('hex')}" }) { id } }`,
      {},
      user.token,
    );
    const doctorId = profile.data.upsertDoctorProfile.id as string;
    const file = pdf(1500);
    const upload = await requestUpload(user.token, 'MEDICAL_LICENSE', 'application/pdf', file.length);
    expect(upload.uploadUrl.startsWith(`${PUBLIC_URL}/documents/${doctorId}/MEDICAL_LICENSE/`)).toBe(true);
    expect(Date.parse(upload.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    // Nothing listed until the file has arrived.
    expect((await kit.call(DOCUMENTS, { id: doctorId }, user.token)).data.doctor.documents).toEqual([]);
    expect((await put(upload.uploadUrl, file, 'application/pdf')).status).toBe(201);

    const docs = (await kit.call(DOCUMENTS, { id: doctorId }, user.token)).data.doctor.documents;
    expect(docs).toEqual([
      {
        kind: 'MEDICAL_LICENSE',
        contentType: 'application/pdf',
        size: 1500,
        uploadedAt: expect.any(String),
        downloadUrl: expect.any(String),
      },
    ]);
    const download = await fetch(local(docs[0].downloadUrl));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toBe('attachment');
    expect(Buffer.from(await download.arrayBuffer()).equals(file)).toBe(true);
    expect((await kit.call(DOCUMENTS, { id: doctorId }, kit.admin.token)).data.doctor.documents).toHaveLength(1);
    // Each download URL handed out is an audited read, recorded before the answer left (doctor, then admin).
    const db = sg.orm.em.getConnection();
    const audited = await db.execute<{ actor_role: string }[]>(
      `select e.actor_role from audit_events e join doctor_documents d on d.id::text = e.resource_id::text
        where e.resource_type = 'DoctorDocument' and d.doctor_id = ? order by e.seq`,
      [doctorId],
    );
    expect(audited.map((r) => r.actor_role)).toEqual(['DOCTOR', 'ADMIN']);

    // A newer upload of the same kind replaces it; the ID card is listed beside it.
    const card = png(800);
    await put((await requestUpload(user.token, 'ID_CARD', 'image/png', card.length)).uploadUrl, card, 'image/png');
    const newer = pdf(900);
    await put(
      (await requestUpload(user.token, 'MEDICAL_LICENSE', 'application/pdf', newer.length)).uploadUrl,
      newer,
      'application/pdf',
    );
    const after = (await kit.call(DOCUMENTS, { id: doctorId }, user.token)).data.doctor.documents;
    expect(after.map((d: { kind: string; size: number }) => [d.kind, d.size])).toEqual([
      ['ID_CARD', 800],
      ['MEDICAL_LICENSE', 900],
    ]);
  });

  it('only the doctor and admins read documents; only doctors request uploads; type and size are checked at request', async () => {
    const doctor = await kit.createDoctor();
    const other = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    expect(code(await kit.call(DOCUMENTS, { id: doctor.doctorId }, patient.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(DOCUMENTS, { id: doctor.doctorId }, other.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(DOCUMENTS, { id: doctor.doctorId }))).toBe('FORBIDDEN');
    expect(code(await kit.call(REQUEST, { k: 'ID_CARD', t: 'image/png', s: 10 }, patient.token))).toBe('FORBIDDEN');
    const bad = async (t: string, s: number, fields: string[]) => {
      const res = await kit.call(REQUEST, { k: 'ID_CARD', t, s }, doctor.token);
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((res.errors?.[0]?.extensions?.fields as { field: string }[]).map((f) => f.field)).toEqual(fields);
    };
    await bad('image/gif', 100, ['contentType']);
    await bad('application/pdf', 2049, ['size']);
    await bad('text/html', 0, ['contentType', 'size']);
  });

  it('the upload URL is checked at upload: signature, expiry, Content-Type, exact size, and the file format', async () => {
    const doctor = await kit.createDoctor();
    const file = pdf(1000);
    const { uploadUrl } = await requestUpload(doctor.token, 'ID_CARD', 'application/pdf', file.length);
    const tampered = new URL(uploadUrl);
    tampered.searchParams.set('size', '2000');
    expect((await put(tampered.toString(), pdf(2000), 'application/pdf')).status).toBe(403);
    const otherKey = uploadUrl.replace('/ID_CARD/', '/MEDICAL_LICENSE/');
    expect((await put(otherKey, file, 'application/pdf')).status).toBe(403);
    expect((await put(uploadUrl, file, 'image/png')).status).toBe(415);
    expect((await put(uploadUrl, pdf(1200), 'application/pdf')).status).toBe(413);
    expect((await put(uploadUrl, Buffer.concat([Buffer.from('<html>'), randomBytes(994)]), 'application/pdf')).status).toBe(415);

    // An URL signed with the right key but already expired.
    const store = new LocalDocumentStore(dir, PUBLIC_URL, Buffer.from(SECRET));
    const key = new URL(uploadUrl).pathname.slice('/documents/'.length);
    const expired = await store.uploadUrl(
      key,
      { contentType: 'application/pdf', size: file.length },
      new Date(Date.now() - 1000),
    );
    expect((await put(expired, file, 'application/pdf')).status).toBe(403);
    // Nothing arrived through any of these.
    expect((await kit.call(DOCUMENTS, { id: doctor.doctorId }, doctor.token)).data.doctor.documents).toEqual([]);
    expect((await put(uploadUrl, file, 'application/pdf')).status).toBe(201);

    // Download URLs are signed and expire too.
    const [doc] = (await kit.call(DOCUMENTS, { id: doctor.doctorId }, doctor.token)).data.doctor.documents;
    const forged = new URL(doc.downloadUrl);
    forged.searchParams.set('exp', String(Number(forged.searchParams.get('exp')) + 3600));
    expect((await fetch(local(forged.toString()))).status).toBe(403);
    expect((await fetch(local(await store.downloadUrl(key, new Date(Date.now() - 1000))))).status).toBe(403);
    expect((await fetch(local(doc.downloadUrl))).status).toBe(200);
  });
});

describe('doctor documents (S3 store, no network)', () => {
  it('presigns the PUT with Content-Type and Content-Length as signed headers, and a GET as an attachment', async () => {
    const { S3DocumentStore } = await import('./document.store.js');
    const s3 = new S3DocumentStore('hc-docs', {
      region: 'eu-central-1',
      endpoint: 'https://s3.example.test',
      forcePathStyle: true,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret',
    });
    const key = '00000000-0000-4000-8000-000000000000/ID_CARD/00000000-0000-4000-8000-000000000001';
    const up = new URL(await s3.uploadUrl(key, { contentType: 'image/png', size: 1234 }, new Date(Date.now() + 60_000)));
    expect(`${up.origin}${up.pathname}`).toBe(`https://s3.example.test/hc-docs/${key}`);
    expect(up.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host']),
    );
    expect(Number(up.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(60);
    const down = new URL(await s3.downloadUrl(key, new Date(Date.now() + 60_000)));
    expect(down.searchParams.get('response-content-disposition')).toBe('attachment');
    expect(down.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});
