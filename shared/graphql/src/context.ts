import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuthContext } from '@hc/auth';
import type { Logger } from '@hc/logger';

/** What every subgraph's GraphQL context starts with. */
export interface BaseContext {
  auth: AuthContext;
  requestId: string;
  logger: Logger;
  /** Per-request DataLoaders (see loaders.ts). */
  loaders: Map<unknown, unknown>;
  /**
   * The end client's address: the one the gateway resolved, from its signed header, else the
   * socket peer. Never a header a client could set (X-Forwarded-For is ignored).
   */
  clientAddress: string;
}

/** Request-scoped values reachable from code without a context argument (formatError, logs). */
export const requestStore = new AsyncLocalStorage<{ requestId: string }>();

export const currentRequestId = (): string | undefined => requestStore.getStore()?.requestId;
