import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { providerEnv, startFakes, waitFor } from './pipeline-harness.js';
import { supergraph } from '../../../scripts/subgraphs.ts';

let fakes: Awaited<ReturnType<typeof startFakes>>;
let sg: TestSupergraph;

beforeAll(async () => {
  fakes = await startFakes();
  sg = await startSupergraph(supergraph, { envFor: { notification: providerEnv(fakes) } });
});
afterAll(async () => {
  await sg?.stop();
  await fakes?.stop();
});

describe('through the gateway: auth produces, notification delivers', () => {
  it('register → the OTP email arrives over SMTP → verifyOtp → the user sees the message in their history, code not stored', async () => {
    const email = `e2e.${Date.now()}@example.com`;
    const reg = await sg.query<{ register: { otpChannel: string; otpDestination: string } }>(
      `mutation($i: RegisterInput!) { register(input: $i) { otpChannel otpDestination } }`,
      { i: { name: 'Eve Patient', email, password: 'correct horse battery', role: 'PATIENT' } },
    );
    expect(reg.errors).toBeUndefined();
    const mail = await waitFor('OTP email', async () => fakes.smtp.received.find((m) => m.to === email), 20_000);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code).toBeDefined();
    expect(mail.text).toContain('Eve Patient');

    const verified = await sg.query<{ verifyOtp: { accessToken: string; user: { id: string } } }>(
      `mutation($e: String!, $c: String!) { verifyOtp(email: $e, code: $c) { accessToken user { id } } }`,
      { e: email, c: code },
    );
    expect(verified.errors).toBeUndefined();
    const token = verified.data!.verifyOtp.accessToken;

    const me = await sg.query(
      `{ me { name notificationPreferences { emailEnabled smsEnabled } notifications { totalCount nodes { template channel status destination } } } }`,
      {},
      token,
    );
    expect(me.errors).toBeUndefined();
    expect(me.data?.me.notificationPreferences).toEqual({ emailEnabled: true, smsEnabled: true });
    expect(me.data?.me.notifications.nodes).toContainEqual({
      template: 'auth.otp',
      channel: 'EMAIL',
      status: 'SENT',
      destination: `e***@example.com`,
    });
    const [row] = await sg.subgraphs.notification.orm.em
      .fork()
      .getConnection()
      .execute(`select count(*)::int as n from notifications n where row_to_json(n)::text like ?`, [`%${code}%`]);
    expect(row.n).toBe(0);
  });
});
