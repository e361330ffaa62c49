import { randomUUID } from 'node:crypto';
import type { TestSupergraph } from '@hc/testing';

/** Env for auth under test: outbox rows stay in auth's DB so tests can read the codes the user would receive. */
export const AUTH_TEST_ENV = { auth: { AUTH_OUTBOX_RELAY: 'false' } };

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      otpChannel
      otpDestination
    }
  }
`;
export const VERIFY = /* GraphQL */ `
  mutation Verify($email: String!, $code: String!) {
    verifyOtp(email: $email, code: $code) {
      accessToken
      refreshToken
      expiresIn
      user {
        id
        email
        role
        isVerified
      }
    }
  }
`;
export const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      accessToken
      refreshToken
      expiresIn
      user {
        id
        email
      }
    }
  }
`;
export const REFRESH = /* GraphQL */ `
  mutation Refresh($token: String!) {
    refreshToken(refreshToken: $token) {
      accessToken
      refreshToken
      user {
        id
      }
    }
  }
`;

export const uniqueEmail = (label = 'user') => `${label}.${randomUUID().slice(0, 8)}@example.com`;

/** The newest notification of a template queued for the email's owner (the outbox row auth wrote). */
export async function lastNotification(
  sg: TestSupergraph,
  email: string,
  template: string,
): Promise<{ userId: string; template: string; variables: Record<string, unknown>; secretVariables?: string[] } | null> {
  const rows = await sg.subgraphs.auth.orm.em.getConnection().execute(
    `select o.payload from outbox o join users u on u.id = (o.payload->>'userId')::uuid
      where o.topic = 'notification.send' and u.email = ? and o.payload->>'template' = ?
      order by o.created_at desc limit 1`,
    [email.toLowerCase(), template],
  );
  return (rows[0]?.payload as never) ?? null;
}

export async function lastCode(sg: TestSupergraph, email: string, template = 'auth.otp'): Promise<string> {
  const n = await lastNotification(sg, email, template);
  if (!n) throw new Error(`no ${template} message for ${email}`);
  return String(n.variables.code);
}

export interface TestAccount {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers and verifies an account through the gateway, as a client app would. */
export async function createAccount(
  sg: TestSupergraph,
  options: { role?: 'PATIENT' | 'DOCTOR' | 'ASSISTANT' | 'PHARMACY'; email?: string; password?: string; name?: string } = {},
): Promise<TestAccount> {
  const email = options.email ?? uniqueEmail(options.role?.toLowerCase() ?? 'patient');
  const password = options.password ?? 'correct horse battery';
  const reg = await sg.query(REGISTER, {
    input: { name: options.name ?? 'Test User', email, password, role: options.role ?? 'PATIENT' },
  });
  if (reg.errors) throw new Error(JSON.stringify(reg.errors));
  const code = await lastCode(sg, email);
  const res = await sg.query(VERIFY, { email, code });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  const p = res.data!.verifyOtp;
  return { id: p.user.id, email, password, accessToken: p.accessToken, refreshToken: p.refreshToken };
}
