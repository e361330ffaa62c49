import { describe, expect, it } from '@jest/globals';
import { scrubRecipients } from './scrub.js';

describe('scrubRecipients', () => {
  it('removes email addresses and phone numbers from provider errors, keeps the rest', () => {
    expect(scrubRecipients('550 5.1.1 <pat.doe+x@mail.example.com>: Recipient address rejected')).toBe(
      '550 5.1.1 <[email]>: Recipient address rejected',
    );
    expect(scrubRecipients("The 'To' number +201001234567 is not a valid phone number (21211)")).toBe(
      "The 'To' number [phone] is not a valid phone number (21211)",
    );
    expect(scrubRecipients('to 010 0123 4567 failed')).toBe('to [phone] failed');
    expect(scrubRecipients('SMTP 421 try again in 30 s')).toBe('SMTP 421 try again in 30 s');
  });
});
