import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@hc/logger';

/** Work that must succeed before a response may leave the subgraph; `service` is the subgraph's name. */
export type ResponseGate = (info: { service: string }) => Promise<void>;

// Keyed by the request's context object: resolvers and the Apollo plugin see the same one.
const gates = new WeakMap<object, ResponseGate[]>();

/**
 * Holds this request's response until `gate` has run (e.g. the audit trail recording which
 * protected fields were read). If the gate fails, the response is replaced by an error and its
 * data never sent.
 */
export function holdResponseUntil(context: object, gate: ResponseGate): void {
  const list = gates.get(context);
  if (list) list.push(gate);
  else gates.set(context, [gate]);
}

/** Runs the gates of each request in `willSendResponse`, after execution and before the body is written. */
export function responseGatePlugin(service: string, logger: Logger): ApolloServerPlugin<object> {
  return {
    requestDidStart: async () => ({
      willSendResponse: async ({ contextValue, response }) => {
        const list = gates.get(contextValue);
        if (!list) return;
        gates.delete(contextValue);
        try {
          for (const gate of list) await gate({ service });
        } catch (error) {
          logger.error({ err: (error as Error).message }, 'response withheld: a required step before sending failed');
          response.body = {
            kind: 'single',
            singleResult: {
              data: null,
              errors: [
                {
                  message: 'The request could not be recorded; its result was withheld. Try again.',
                  extensions: { code: 'INTERNAL_SERVER_ERROR' },
                },
              ],
            },
          };
        }
      },
    }),
  };
}
