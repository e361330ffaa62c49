import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@hc/logger';
import { EmailProvider } from './email.provider.js';

describe('development without SMTP_URL', () => {
  it('writes the email as an .eml file and logs only the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mail-'));
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger('capture-test', { LOG_LEVEL: 'debug', NODE_ENV: 'development' }, sink);
    const provider = new EmailProvider({
      from: 'HC <no-reply@hc.local>',
      rejectUnauthorized: true,
      requireTls: false,
      timeoutMs: 1000,
      maxConnections: 1,
      captureDir: dir,
      logger,
    });
    await provider.send({
      to: 'dev@example.com',
      subject: 'Your verification code',
      html: '<p>Your code is 424242</p>',
      text: 'Your code is 424242',
      reference: 'ref1',
    });
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/ref1\.eml$/);
    const eml = readFileSync(join(dir, files[0]!), 'utf8');
    expect(eml).toContain('To: dev@example.com');
    expect(eml).toContain('424242');
    expect(lines.join('')).toContain(files[0]);
    expect(lines.join('')).not.toContain('424242');
  });

  it('refuses in production (no capture directory)', async () => {
    const logger = createLogger('capture-test', { LOG_LEVEL: 'silent', NODE_ENV: 'production' });
    const provider = new EmailProvider({
      from: 'x@hc.local',
      rejectUnauthorized: true,
      requireTls: false,
      timeoutMs: 1000,
      maxConnections: 1,
      logger,
    });
    await expect(provider.send({ to: 'a@example.com', text: 't', reference: 'r' })).rejects.toThrow(
      'email is not configured (SMTP_URL)',
    );
  });
});
