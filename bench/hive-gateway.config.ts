// Hive Gateway, the benches' peer. It signs its subgraph requests as ours does (the benches run
// subgraphs with SUBGRAPH_SHARED_SECRET, which refuse unsigned requests), and forwards the
// client's Authorization to every subgraph (signed-in operations: each subgraph verifies the token).
import { defineConfig } from '@graphql-hive/gateway';
// The signing module alone: Hive's config loader does not compile the decorators elsewhere in @hc/graphql.
import { CLIENT_HEADER, signGatewayRequest } from '@hc/graphql/signature';

const secret = process.env.SUBGRAPH_SHARED_SECRET;

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const authorization = request.headers.get('authorization');
      return authorization ? { authorization } : {};
    },
  },
  plugins: () => [
    {
      onFetch({ url, options, setOptions }) {
        if (!secret) return;
        const target = new URL(url);
        const headers = Object.fromEntries(new Headers(options.headers as HeadersInit).entries());
        const body = typeof options.body === 'string' ? options.body : '';
        setOptions({
          ...options,
          headers: {
            ...headers,
            ...signGatewayRequest(secret, {
              method: options.method ?? 'POST',
              path: target.pathname + target.search,
              body,
              client: headers[CLIENT_HEADER],
            }),
          },
        });
      },
    },
  ],
});
