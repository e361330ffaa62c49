import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from './index.js';

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
});
