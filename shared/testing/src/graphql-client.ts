import { signGatewayRequest } from '@hc/graphql';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** POSTs one GraphQL operation, as a client app would. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: {
    token?: string;
    headers?: Record<string, string>;
    /** sign as the gateway does (a subgraph's URL) */ signWith?: string;
    /** with signWith: the client address the gateway vouches for (x-gateway-client) */ client?: string;
  } = {},
): Promise<GraphQLResponse<T>> {
  const body = JSON.stringify({ query, variables });
  const signature = options.signWith
    ? signGatewayRequest(options.signWith, { method: 'POST', path: new URL(url).pathname, body, client: options.client })
    : {};
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...signature,
      ...options.headers,
    },
    body,
  });
  const answer = (await res.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
  return { status: res.status, headers: res.headers, data: answer.data, errors: answer.errors };
}

/** The error code of the first error, if any. */
export const errorCode = (res: GraphQLResponse<unknown>): unknown => res.errors?.[0]?.extensions?.code;
