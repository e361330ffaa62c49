import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, scrubDbText } from './index.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the service name and redacts secrets and health data', () => {
    const { lines, stream } = capture();
    const log = createLogger('auth', { LOG_LEVEL: 'info', NODE_ENV: 'development' }, stream);
    log.info(
      {
        requestId: 'r-1',
        headers: { authorization: 'Bearer secret-token' },
        password: 'hunter22',
        input: { password: 'p', code: '123456', refreshToken: 'rt' },
        variables: { email: 'a@b.c', newPassword: 'x' },
        profile: { medicalHistory: 'asthma' },
      },
      'hello',
    );
    const line = lines.join('');
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ service: 'auth', requestId: 'r-1', msg: 'hello', level: 'info' });
    for (const secret of ['secret-token', 'hunter22', '123456', '"rt"', 'asthma', 'a@b.c']) expect(line).not.toContain(secret);
  });

  it('logs database errors without row values', () => {
    const { lines, stream } = capture();
    const log = createLogger('auth', { LOG_LEVEL: 'info', NODE_ENV: 'development' }, stream);
    const notNull = Object.assign(
      new Error(
        `insert into "users" ("email", "name") values ('pat@example.com', 'Pat Doe') - null value in column "role" violates not-null constraint`,
      ),
      {
        name: 'NotNullConstraintViolationException',
        code: '23502',
        detail: 'Failing row contains (pat@example.com, Pat Doe, null).',
      },
    );
    const unique = Object.assign(new Error('duplicate key value violates unique constraint "users_email_unique"'), {
      code: '23505',
      detail: 'Key (lower(email::text))=(pat@example.com) already exists.',
    });
    log.error({ err: notNull }, 'unexpected error');
    log.error({ err: unique }, 'unexpected error');
    const text = lines.join('');
    expect(text).not.toContain('pat@example.com');
    expect(text).not.toContain('Pat Doe');
    expect(text).toContain('users_email_unique'); // the constraint name stays
    expect(text).toContain('Failing row contains ([redacted])');
    expect(text).toContain('Key (lower(email::text))=([redacted]) already exists');
    // An ordinary error is logged as it is.
    expect(scrubDbText('plain')).toBe('plain');
  });
});
