// Hive Gateway (the directory bench's peer) signs its subgraph requests as ours does: the bench
// runs subgraphs with SUBGRAPH_SHARED_SECRET, which refuse unsigned requests.
import { defineConfig } from '@graphql-hive/gateway';
import { CLIENT_HEADER, signGatewayRequest } from '@hc/graphql';

const secret = process.env.SUBGRAPH_SHARED_SECRET;

export const gatewayConfig = defineConfig({
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
