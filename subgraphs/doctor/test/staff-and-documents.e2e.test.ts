import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph, until } from '@hc/testing';
import { doctorTestKit } from './support.js';
import { supergraph } from '../../../scripts/subgraphs.ts';

type Res = { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
const code = (r: Res) => r.errors?.[0]?.extensions?.code;
const reason = (r: Res) => r.errors?.[0]?.extensions?.reason;
const PUBLIC_URL = 'http://documents.test';

/** Doctor documents, assistant invites and workplace activation through the gateway. */
describe('doctor staff and documents through the gateway', () => {
  let sg: TestSupergraph;
  let kit: ReturnType<typeof doctorTestKit>;
  let origin: string;

  beforeAll(async () => {
    sg = await startSupergraph(supergraph, {
      envFor: {
        doctor: {
          DOCUMENTS_DIR: mkdtempSync(join(tmpdir(), 'doctor-docs-e2e-')),
          DOCUMENTS_PUBLIC_URL: PUBLIC_URL,
          DOCUMENTS_URL_SECRET: randomBytes(32).toString('hex'),
        },
      },
    });
    kit = doctorTestKit(sg.subgraphs.doctor.orm, sg.keys, sg.gatewayUrl);
    origin = new URL(sg.subgraphs.doctor.graphqlUrl).origin;
  });
  afterAll(async () => {
    await sg?.stop();
  });

  /** Signed URLs name DOCUMENTS_PUBLIC_URL; the test reaches the same routes on the doctor subgraph. */
  const local = (url: string) => url.replace(PUBLIC_URL, origin);

  it('documents: the doctor uploads through a signed URL; the doctor and admins get a download URL, nobody else', async () => {
    const doctor = await kit.createDoctor();
    const REQUEST = `mutation($k: DoctorDocumentKind!, $t: String!, $s: Int!) { requestDoctorDocumentUpload(kind: $k, contentType: $t, size: $s) { uploadUrl expiresAt } }`;
    const DOCUMENTS = `query($id: ID!) { doctor(id: $id) { id documents { kind contentType size downloadUrl } } }`;
    const file = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(991)]);
    const args = { k: 'MEDICAL_LICENSE', t: 'application/pdf', s: file.length };

    const patient = await kit.createUser('PATIENT');
    expect(code(await kit.call(REQUEST, args, patient.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(REQUEST, args))).toBe('UNAUTHENTICATED');
    expect(code(await kit.call(REQUEST, { ...args, t: 'text/html' }, doctor.token))).toBe('BAD_USER_INPUT');
    const upload = (await kit.call(REQUEST, args, doctor.token)).data.requestDoctorDocumentUpload;
    expect(upload.uploadUrl.startsWith(`${PUBLIC_URL}/documents/${doctor.doctorId}/MEDICAL_LICENSE/`)).toBe(true);
    const put = await fetch(local(upload.uploadUrl), {
      method: 'PUT',
      body: new Uint8Array(file),
      headers: { 'content-type': 'application/pdf' },
    });
    expect(put.status).toBe(201);

    const own = await kit.call(DOCUMENTS, { id: doctor.doctorId }, doctor.token);
    expect(own.errors).toBeUndefined();
    expect(own.data.doctor.documents).toEqual([
      { kind: 'MEDICAL_LICENSE', contentType: 'application/pdf', size: file.length, downloadUrl: expect.any(String) },
    ]);
    const download = await fetch(local(own.data.doctor.documents[0].downloadUrl));
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(file)).toBe(true);
    const byAdmin = await kit.call(DOCUMENTS, { id: doctor.doctorId }, kit.admin.token);
    expect(byAdmin.data.doctor.documents).toHaveLength(1);

    // Another doctor, a patient, an anonymous caller: the profile yes, the documents no.
    const other = await kit.createDoctor();
    for (const token of [other.token, patient.token, undefined]) {
      const res = await kit.call(DOCUMENTS, { id: doctor.doctorId }, token);
      expect(code(res)).toBe('FORBIDDEN');
      expect(JSON.stringify(res.data ?? null)).not.toContain('downloadUrl');
      expect(JSON.stringify(res.data ?? null)).not.toContain('/documents/');
    }
    // A download URL does not open another doctor's file by swapping the key.
    const forged = new URL(local(own.data.doctor.documents[0].downloadUrl));
    forged.pathname = forged.pathname.replace(doctor.doctorId, other.doctorId);
    expect((await fetch(forged)).status).toBe(403);
  });

  it('revokeInvite: the inviting doctor withdraws a PENDING invite; the invitee cannot accept it and is told; others are refused', async () => {
    const doctor = await kit.createDoctor();
    const other = await kit.createDoctor();
    const assistant = await kit.createUser('ASSISTANT');
    await sg.subgraphs.notification.orm.em
      .getConnection()
      .execute(`insert into contacts (user_id, name, email, role, updated_at) values (?, ?, ?, 'ASSISTANT', now())`, [
        assistant.id,
        assistant.name,
        assistant.email,
      ]);
    const invite = await kit.call(
      `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id status } }`,
      { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } },
      doctor.token,
    );
    expect(invite.data?.inviteAssistant.status).toBe('PENDING');
    const id = invite.data.inviteAssistant.id as string;
    const REVOKE = `mutation($id: ID!) { revokeInvite(inviteId: $id) { id status } }`;
    const RESPOND = `mutation($id: ID!, $accept: Boolean!) { respondToInvite(inviteId: $id, accept: $accept) { status } }`;

    expect(code(await kit.call(REVOKE, { id }, other.token))).toBe('NOT_FOUND');
    expect(code(await kit.call(REVOKE, { id }, assistant.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(REVOKE, { id }))).toBe('UNAUTHENTICATED');
    expect((await kit.call(REVOKE, { id }, doctor.token)).data?.revokeInvite).toEqual({ id, status: 'REVOKED' });
    const again = await kit.call(REVOKE, { id }, doctor.token);
    expect([code(again), reason(again)]).toEqual(['CONFLICT', 'INVITE_NOT_PENDING']);
    const accept = await kit.call(RESPOND, { id, accept: true }, assistant.token);
    expect([code(accept), reason(accept)]).toEqual(['CONFLICT', 'INVITE_NOT_PENDING']);
    expect((await kit.call(`{ myAssistants { id } }`, {}, doctor.token)).data?.myAssistants).toEqual([]);
    const dashboard = await kit.call(`{ assistantDashboard { workplaces { id } } }`, {}, assistant.token);
    expect(dashboard.data?.assistantDashboard?.workplaces ?? []).toEqual([]);

    const told = await until('the revocation notice', async () => {
      const res = await kit.call(`{ notificationHistory(first: 10) { nodes { template } } }`, {}, assistant.token);
      const names = (res.data?.notificationHistory.nodes as { template: string }[] | undefined)?.map((n) => n.template);
      return names?.includes('assistant.invite_revoked') && names;
    });
    expect(told).toContain('assistant.invite_revoked');
  });

  it('activateWorkplace: only its doctor reopens a deactivated workplace; listed and bookable again through the gateway', async () => {
    const doctor = await kit.createDoctor();
    const other = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const LISTED = `query($id: ID!) { doctor(id: $id) { workplaces { id isActive } } }`;
    const listed = async (token?: string) =>
      ((await kit.call(LISTED, { id: doctor.doctorId }, token)).data?.doctor.workplaces as { id: string }[]).map((w) => w.id);
    const OFF = `mutation($id: ID!) { deactivateWorkplace(id: $id) { id isActive } }`;
    const ON = `mutation($id: ID!) { activateWorkplace(id: $id) { id isActive } }`;
    const at = kit.slotAt(8, 10);

    expect((await kit.call(OFF, { id: doctor.workplaceId }, doctor.token)).data?.deactivateWorkplace.isActive).toBe(false);
    expect(await listed(patient.token)).toEqual([]);
    expect(code(await kit.book(patient.token, doctor.workplaceId, at))).toBe('NOT_FOUND');

    // Another doctor, a patient, an anonymous caller cannot reopen it.
    expect(code(await kit.call(ON, { id: doctor.workplaceId }, other.token))).toBe('NOT_FOUND');
    expect(code(await kit.call(ON, { id: doctor.workplaceId }, patient.token))).toBe('FORBIDDEN');
    expect(code(await kit.call(ON, { id: doctor.workplaceId }))).toBe('UNAUTHENTICATED');
    expect(await listed(patient.token)).toEqual([]);

    const on = await kit.call(ON, { id: doctor.workplaceId }, doctor.token);
    expect(on.data?.activateWorkplace).toEqual({ id: doctor.workplaceId, isActive: true });
    expect(await listed(patient.token)).toEqual([doctor.workplaceId]);
    expect((await kit.book(patient.token, doctor.workplaceId, at)).errors).toBeUndefined();
    // Idempotent.
    expect((await kit.call(ON, { id: doctor.workplaceId }, doctor.token)).data?.activateWorkplace.isActive).toBe(true);
  });
});
