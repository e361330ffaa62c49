import type { AuthContext } from '@hc/auth';
import type { Logger } from '@hc/logger';

export interface GatewayContext {
  auth: AuthContext;
  requestId: string;
  logger: Logger;
  /** The client's address (client-address.ts: the socket peer, or the right-most untrusted X-Forwarded-For hop). */
  clientIp?: string;
  /** An operation the gateway itself generated (subscription follow-ups), not a client's document. */
  internal?: boolean;
}
