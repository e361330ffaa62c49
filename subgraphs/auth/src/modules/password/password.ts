import bcrypt from 'bcrypt';
import { BadUserInputError } from '@hc/graphql';
import type { HashGate } from './hash-gate.js';

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
 * bcrypt with the configured cost — the one place the auth subgraph runs it. The async API runs
 * on libuv's thread pool, so hashing never blocks the event loop; every operation (hash, check,
 * and the dummy check for unknown emails) passes the same `HashGate`, so at most its concurrency
 * run at once and the rest of the process keeps CPU. Without a gate (CLIs) it runs directly.
 */
export class PasswordHasher {
  private dummy: string | null = null;

  constructor(
    readonly cost: number,
    private readonly gate?: HashGate,
  ) {}

  /** SERVICE_UNAVAILABLE now if the gate would turn a password check away (see HashGate.admit). */
  admit(): void {
    this.gate?.admit();
  }

  private gated<T>(work: () => Promise<T>): Promise<T> {
    return this.gate ? this.gate.run(work) : work();
  }

  hash(password: string): Promise<string> {
    return this.gated(() => bcrypt.hash(password, this.cost));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.gated(() => bcrypt.compare(password, hash));
  }

  /**
   * Same work, through the same gate, as a real check, for unknown accounts: neither timing nor a
   * refusal reveals which emails exist.
   */
  verifyNothing(password: string): Promise<false> {
    return this.gated(async () => {
      this.dummy ??= await bcrypt.hash('not-a-real-password', this.cost);
      await bcrypt.compare(password, this.dummy);
      return false as const;
    });
  }
}
