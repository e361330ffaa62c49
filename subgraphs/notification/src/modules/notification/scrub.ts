/**
 * Provider error texts often quote the recipient ("550 5.1.1 <pat@example.com>: user unknown",
 * "The 'To' number +201001234567 is not valid"). They are stored and logged without it: the
 * delivery row already says who the message was for.
 */
export function scrubRecipients(text: string): string {
  return text
    .replace(/[^\s<>()"',;:]+@[^\s<>()"',;:]+\.[a-z]{2,}/gi, '[email]')
    .replace(/(?<![\w.])\+?\d(?:[\s().-]?\d){6,14}(?![\w.])/g, '[phone]');
}
