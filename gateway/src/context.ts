import type { AuthContext } from '@hc/auth';
import type { Logger } from '@hc/logger';

export interface GatewayContext {
  auth: AuthContext;
  requestId: string;
  logger: Logger;
  /** The peer address of the client connection, forwarded to subgraphs as x-forwarded-for. */
  clientIp?: string;
}
