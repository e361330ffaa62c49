import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSubgraph, type TestKeys, type TestSubgraph } from '@hc/testing';
import { doctorTestKit } from '../../../test/support.js';
import { doctorSubgraph } from '../../server.js';

let sg: TestSubgraph & { keys: TestKeys };
let kit: ReturnType<typeof doctorTestKit>;
beforeAll(async () => {
  sg = await startTestSubgraph(doctorSubgraph);
  kit = doctorTestKit(sg.orm, sg.keys, sg.graphqlUrl);
});
afterAll(async () => {
  await sg?.stop();
});

const INVITE = `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { id status expiresAt createdAt workplace { id } } }`;
const RESPOND = `mutation($id: ID!, $accept: Boolean!) { respondToInvite(inviteId: $id, accept: $accept) { id status } }`;
const code = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

describe('assistant invites', () => {
  it('expire after 7 days: an expired invite reads EXPIRED, cannot be accepted, and no longer blocks a new one', async () => {
    const doctor = await kit.createDoctor();
    const assistant = await kit.createUser('ASSISTANT');
    const first = await kit.call(
      INVITE,
      { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } },
      doctor.token,
    );
    expect(first.errors).toBeUndefined();
    const inv = first.data.inviteAssistant;
    expect(inv.status).toBe('PENDING');
    expect(Date.parse(inv.expiresAt) - Date.parse(inv.createdAt)).toBe(7 * 24 * 3600_000);

    // A second pending invite for the same assistant and workplace → CONFLICT.
    const dup = await kit.call(INVITE, { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } }, doctor.token);
    expect(code(dup)).toBe('CONFLICT');

    await sg.orm.em
      .getConnection()
      .execute(`update assistant_invites set expires_at = now() - interval '1 minute' where id = ?`, [inv.id]);
    const received = await kit.call(`{ assistantInvites { id status } }`, {}, assistant.token);
    expect(received.data.assistantInvites).toEqual([{ id: inv.id, status: 'EXPIRED' }]);
    const late = await kit.call(RESPOND, { id: inv.id, accept: true }, assistant.token);
    expect(late.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVITE_EXPIRED' });
    expect(
      (await kit.call(`{ assistantDashboard { workplaces { id } } }`, {}, assistant.token)).data.assistantDashboard.workplaces,
    ).toEqual([]);

    const again = await kit.call(
      INVITE,
      { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } },
      doctor.token,
    );
    expect(again.errors).toBeUndefined();
  });

  it('answers an invite for an unknown or non-assistant email exactly like one for an assistant (no probing)', async () => {
    const doctor = await kit.createDoctor();
    const patient = await kit.createUser('PATIENT');
    const assistant = await kit.createUser('ASSISTANT');
    const FULL = `mutation($i: InviteAssistantInput!) { inviteAssistant(input: $i) { status message expiresAt assistant { id } workplace { id } } }`;
    const shape = (r: { data?: any; errors?: unknown }) => {
      const { expiresAt, ...rest } = r.data?.inviteAssistant ?? {};
      return { errors: r.errors, rest, expires: typeof expiresAt };
    };
    const invite = (email: string) =>
      kit.call(FULL, { i: { assistantEmail: email, workplaceId: doctor.workplaceId, message: 'Join us' } }, doctor.token);
    const known = await invite(assistant.email);
    const nonAssistant = await invite(patient.email);
    const unknown = await invite(`nobody.${Date.now()}@example.com`);
    expect(known.errors).toBeUndefined();
    expect(shape(nonAssistant)).toEqual(shape(known));
    expect(shape(unknown)).toEqual(shape(known));
    expect(known.data.inviteAssistant.assistant).toBeNull();
    // A second invite answers the same CONFLICT in every case.
    for (const email of [assistant.email, patient.email])
      expect((await invite(email)).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'INVITE_PENDING' });
    // The doctor's list shows all three alike; only the assistant is notified and sees theirs.
    const sent = await kit.call(`{ assistantInvites { status assistant { id } } }`, {}, doctor.token);
    expect(sent.data.assistantInvites).toEqual(Array(3).fill({ status: 'PENDING', assistant: null }));
    const notes = await sg.orm.em
      .getConnection()
      .execute<{ n: number }[]>(
        `select count(*)::int as n from outbox where payload->>'template' = 'assistant.invited' and payload->>'userId' in (?, ?)`,
        [assistant.id, patient.id],
      );
    expect(notes[0].n).toBe(1);
    expect((await kit.call(`{ assistantInvites { id } }`, {}, patient.token)).data?.assistantInvites ?? []).toEqual([]);
    const mine = await kit.call(`{ assistantInvites { status assistant { id } } }`, {}, assistant.token);
    expect(mine.data.assistantInvites).toEqual([{ status: 'PENDING', assistant: { id: assistant.id } }]);
  });

  it('only invites to own workplaces; another assistant cannot answer', async () => {
    const doctor = await kit.createDoctor();
    const other = await kit.createDoctor();
    const assistant = await kit.createUser('ASSISTANT');
    const foreign = await kit.call(
      INVITE,
      { i: { assistantEmail: assistant.email, workplaceId: other.workplaceId } },
      doctor.token,
    );
    expect(code(foreign)).toBe('NOT_FOUND');

    const ok = await kit.call(
      INVITE,
      { i: { assistantEmail: assistant.email.toUpperCase(), workplaceId: doctor.workplaceId } },
      doctor.token,
    );
    expect(ok.errors).toBeUndefined();
    const intruder = await kit.createUser('ASSISTANT');
    expect(code(await kit.call(RESPOND, { id: ok.data.inviteAssistant.id, accept: true }, intruder.token))).toBe('NOT_FOUND');
    const outbox = await sg.orm.em
      .getConnection()
      .execute<{ payload: any }[]>(
        `select payload from outbox where payload->>'template' = 'assistant.invited' and payload->>'userId' = ?`,
        [assistant.id],
      );
    expect(outbox[0].payload.variables).toMatchObject({ doctorName: doctor.name, workplaceName: 'Main clinic' });
  });

  it('accept assigns, the dashboard shows the work, revoke ends it (and care.changed tells auth)', async () => {
    const doctor = await kit.createDoctor();
    const assistant = await kit.createUser('ASSISTANT');
    const patient = await kit.createUser('PATIENT');
    await kit.book(patient.token, doctor.workplaceId, kit.slotAt(2, 10));
    const inv = (
      await kit.call(
        INVITE,
        { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId, message: 'Join us' } },
        doctor.token,
      )
    ).data.inviteAssistant;
    expect((await kit.call(RESPOND, { id: inv.id, accept: true }, assistant.token)).data.respondToInvite.status).toBe('ACCEPTED');
    expect(code(await kit.call(RESPOND, { id: inv.id, accept: false }, assistant.token))).toBe('CONFLICT');

    const dash = await kit.call(
      `{ assistantDashboard { doctors { id } workplaces { id } pendingInvites { id } } }`,
      {},
      assistant.token,
    );
    expect(dash.data.assistantDashboard).toEqual({
      doctors: [{ id: doctor.doctorId }],
      workplaces: [{ id: doctor.workplaceId }],
      pendingInvites: [],
    });
    const mine = await kit.call(`{ myAssistants { id assistant { id } workplace { id } } }`, {}, doctor.token);
    expect(mine.data.myAssistants).toHaveLength(1);
    const appts = await kit.call(`{ myAppointments { totalCount } }`, {}, assistant.token);
    expect(appts.data.myAppointments.totalCount).toBe(1);

    const assignmentId = mine.data.myAssistants[0].id;
    expect(
      (await kit.call(`mutation($id: ID!) { revokeAssistant(assignmentId: $id) }`, { id: assignmentId }, doctor.token)).data
        .revokeAssistant,
    ).toBe(true);
    expect((await kit.call(`{ myAppointments { totalCount } }`, {}, assistant.token)).data.myAppointments.totalCount).toBe(0);
    const care = await sg.orm.em
      .getConnection()
      .execute<{ payload: any }[]>(
        `select payload from outbox where topic = 'care.changed' and payload->'staffUserIds' @> to_jsonb(array[?]::text[]) order by created_at`,
        [assistant.id],
      );
    expect(care.map((r) => r.payload.active)).toEqual([true, false]);
  });
  it('revokeInvite: the doctor withdraws a PENDING invite once, the invitee is told; racing the answer, exactly one wins', async () => {
    const doctor = await kit.createDoctor();
    const other = await kit.createDoctor();
    const assistant = await kit.createUser('ASSISTANT');
    const REVOKE = `mutation($id: ID!) { revokeInvite(inviteId: $id) { id status } }`;
    const invite = async () =>
      (await kit.call(INVITE, { i: { assistantEmail: assistant.email, workplaceId: doctor.workplaceId } }, doctor.token)).data
        .inviteAssistant.id as string;

    const id = await invite();
    expect(code(await kit.call(REVOKE, { id }, other.token))).toBe('NOT_FOUND');
    expect(code(await kit.call(REVOKE, { id }, assistant.token))).toBe('FORBIDDEN');
    expect((await kit.call(REVOKE, { id }, doctor.token)).data.revokeInvite).toEqual({ id, status: 'REVOKED' });
    expect((await kit.call(REVOKE, { id }, doctor.token)).errors?.[0]?.extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVITE_NOT_PENDING',
    });
    expect(code(await kit.call(RESPOND, { id, accept: true }, assistant.token))).toBe('CONFLICT');
    const notes = await sg.orm.em
      .getConnection()
      .execute<{ payload: any }[]>(`select payload from outbox where payload->>'template' = 'assistant.invite_revoked'`);
    expect(notes.map((n) => n.payload)).toEqual([
      expect.objectContaining({ userId: assistant.id, variables: { doctorName: doctor.name, workplaceName: 'Main clinic' } }),
    ]);

    // A revoked invite no longer blocks a new one; revoke and accept race: exactly one succeeds.
    for (let round = 0; round < 5; round++) {
      const next = await invite();
      const [r, a] = await Promise.all([
        kit.call(REVOKE, { id: next }, doctor.token),
        kit.call(RESPOND, { id: next, accept: true }, assistant.token),
      ]);
      expect([r.errors, a.errors].filter(Boolean)).toHaveLength(1);
      const assigned = await sg.orm.em
        .getConnection()
        .execute<{ n: number }[]>(
          `select count(*)::int as n from assistant_assignments where assistant_id = ? and revoked_at is null`,
          [assistant.id],
        );
      expect(assigned[0].n).toBe(a.errors ? 0 : 1);
      if (!a.errors) {
        const mine = await kit.call(`{ myAssistants { id } }`, {}, doctor.token);
        await kit.call(
          `mutation($id: ID!) { revokeAssistant(assignmentId: $id) }`,
          { id: mine.data.myAssistants[0].id },
          doctor.token,
        );
      }
    }
  });
});
