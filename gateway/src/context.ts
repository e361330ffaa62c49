import type { AuthContext } from '@hc/auth';
import type { Logger } from '@hc/logger';

export interface GatewayContext {
  auth: AuthContext;
  requestId: string;
  logger: Logger;
}
