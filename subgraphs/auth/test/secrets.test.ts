import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { GraphQLObjectType } from 'graphql';
import type { TestSupergraph } from '@hc/testing';
import type { GraphQLResponse } from '@hc/testing';

// Every logger the services create in this process writes into `logs` (instead of stdout).
const logs: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    logs.push(chunk.toString('utf8'));
    done();
  },
});
const actualLogger = await import('@hc/logger');
jest.unstable_mockModule('@hc/logger', () => ({
  ...actualLogger,
  createLogger: (service: string, config: never) => actualLogger.createLogger(service, config, sink),
}));
const { startSupergraph } = await import('@hc/testing');
const { subgraphs, supergraph } = await import('../../../scripts/subgraphs.ts');
const { LOGIN, REFRESH, createAccount, lastCode } = await import('./factories.js');

/**
 * Secrets (passwords, their hashes, OTPs and their hashes, tokens and refresh-token hashes)
 * must not be reachable through any field nor appear in any log line (all services log at
 * debug level here).
 */
describe('no secret reaches an API field or a log line', () => {
  let sg: TestSupergraph;
  const bodies: string[] = [];

  beforeAll(async () => {
    sg = await startSupergraph(supergraph, { env: { LOG_LEVEL: 'debug' }, envFor: { auth: { AUTH_OUTBOX_RELAY: 'false' } } });
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('exposes no secret-bearing field in any subgraph schema', async () => {
    for (const def of Object.values(subgraphs)) {
      const { schema } = await def.buildSchema();
      const names = Object.values(schema.getTypeMap())
        .filter((t): t is GraphQLObjectType => t instanceof GraphQLObjectType && t.name !== 'Mutation')
        .flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`));
      expect(names.filter((n) => /password|hash|secret|codeHash|tokenHash|\.otp$/i.test(n))).toEqual([]);
    }
  });

  it('keeps passwords, hashes, codes and tokens out of responses and logs across every auth flow', async () => {
    const record = async (p: Promise<GraphQLResponse>) => {
      const r = await p;
      bodies.push(JSON.stringify(r));
      return r;
    };
    const account = await createAccount(sg, { password: 'Secret-Password-123' });
    const codes = [await lastCode(sg, account.email)];
    await record(sg.query(LOGIN, { email: account.email, password: 'wrong-password-456' }));
    const login = await record(sg.query(LOGIN, { email: account.email, password: 'Secret-Password-123' }));
    const refreshed = await record(sg.query(REFRESH, { token: login.data!.login.refreshToken }));
    await record(sg.query(REFRESH, { token: login.data!.login.refreshToken })); // reuse: logged as a warning
    await record(sg.query(`{ me { id email } }`, {}, 'Bearer.broken.token'));
    await record(sg.query(`mutation($e: String!) { forgotPassword(email: $e) }`, { e: account.email }));
    codes.push(await lastCode(sg, account.email, 'auth.password_reset'));
    await record(
      sg.query(`mutation($e: String!, $c: String!) { resetPassword(email: $e, code: $c, newPassword: "Another-Secret-789") }`, {
        e: account.email,
        c: codes[1],
      }),
    );
    await record(sg.query(`{ me { id } }`, {}, refreshed.data!.refreshToken.accessToken));
    await new Promise((r) => setTimeout(r, 200)); // let pino flush

    const conn = sg.subgraphs.auth.orm.em.getConnection();
    const [user] = await conn.execute(`select password_hash from users where id = ?`, [account.id]);
    const otpHashes = (await conn.execute(`select code_hash from otp_codes where user_id = ?`, [account.id])).map(
      (r: any) => r.code_hash,
    );
    const tokenHashes = (await conn.execute(`select token_hash from refresh_tokens where user_id = ?`, [account.id])).map(
      (r: any) => r.token_hash,
    );
    // Never in a response nor a log line.
    const secrets = [
      'Secret-Password-123',
      'wrong-password-456',
      'Another-Secret-789',
      user.password_hash,
      ...otpHashes,
      ...tokenHashes,
    ];
    // Issued to their owner in a response, never logged.
    const tokens = [
      login.data!.login.accessToken,
      login.data!.login.refreshToken,
      refreshed.data!.refreshToken.accessToken,
      refreshed.data!.refreshToken.refreshToken,
    ];
    const logText = logs.join('');
    expect(logText).toContain('"service":"auth"'); // the capture works
    expect(logText).toContain('refresh token reused');
    for (const secret of [...secrets, ...tokens]) expect(logText.includes(secret)).toBe(false);
    for (const secret of secrets) for (const body of bodies) expect(body.includes(secret)).toBe(false);
    for (const code of codes) for (const body of bodies) expect(body).not.toContain(`"${code}"`);
    // Six digits can occur by chance in ids or timestamps: look for them as values.
    for (const code of codes) expect(logText).not.toMatch(new RegExp(`["=:\\s]${code}["\\s,}]`));
  });
});
