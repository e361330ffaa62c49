import bcrypt from 'bcrypt';
import { BadUserInputError } from '@hc/graphql';

export const PASSWORD_MIN_BYTES = 8;
/** bcrypt reads only the first 72 bytes: longer passwords are refused, never truncated. */
export const PASSWORD_MAX_BYTES = 72;

/** Rejects passwords outside 8..72 UTF-8 bytes, naming the field. */
export function checkPassword(password: string, field = 'password'): void {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES) {
    throw BadUserInputError.field(
      field,
      `Password must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes of UTF-8 (this one is ${bytes} bytes)`,
    );
  }
}

/**
 * bcrypt with the configured cost. The async API runs on libuv's thread pool, so hashing never
 * blocks the event loop.
 */
export class PasswordHasher {
  private dummy: Promise<string> | null = null;

  constructor(readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  /** Same work as a real check, for unknown accounts: timing does not reveal which emails exist. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= bcrypt.hash('not-a-real-password', this.cost);
    await bcrypt.compare(password, await this.dummy);
    return false;
  }
}
