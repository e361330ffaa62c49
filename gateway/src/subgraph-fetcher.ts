import { Agent, fetch as undiciFetch } from 'undici';
import { CLIENT_HEADER, signGatewayRequest, type ServiceMetrics } from '@hc/graphql/shell';

export interface SubgraphFetcherOptions {
  /** Keep-alive sockets per subgraph origin; requests beyond it queue instead of opening more. */
  maxSockets: number;
  /** Share one subgraph fetch between identical queries in flight at the same time. */
  dedupe?: boolean;
  metrics?: ServiceMetrics;
  /** SUBGRAPH_SHARED_SECRET: every request is signed with it (subgraphs refuse unsigned ones). */
  sharedSecret?: string;
}

export type Fetcher = (
  url: string,
  init?: { method?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<Response>;

interface Buffered {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

/** Headers that differ per client request without changing the subgraph's answer to a query. */
const NOT_IN_KEY = new Set(['x-request-id', 'x-forwarded-for', CLIENT_HEADER, 'content-length']);

/**
 * The fetch the gateway uses for subgraphs: undici over a keep-alive pool bounded per origin
 * (the default make-fetch-happen opens a socket per concurrent request and adds an HTTP cache we
 * do not want), timed per subgraph for /metrics, each request signed for the subgraph (gateway-signature.ts in @hc/graphql).
 *
 * With `dedupe`, identical queries in flight at once (same subgraph, same body, same
 * Authorization) share one subgraph request: under a burst of the same public read the
 * subgraph does the work once. Mutations are never shared. The waiters get the first request's
 * answer, so the subgraph logs only the first request id.
 */
export function createSubgraphFetcher(options: SubgraphFetcherOptions) {
  const agent = new Agent({
    connections: options.maxSockets,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    pipelining: 1,
  });
  const inflight = new Map<string, Promise<Buffered>>();
  /** Path + query of each subgraph URL, parsed once (the URLs come from the supergraph and never change). */
  const paths = new Map<string, string>();
  const pathOf = (url: string) => {
    let p = paths.get(url);
    if (p === undefined) {
      const target = new URL(url);
      paths.set(url, (p = target.pathname + target.search));
    }
    return p;
  };

  /** Signs here, the last step before the wire: the body is final (Apollo serialises it just before calling us). */
  const signed = (url: string, init: Parameters<Fetcher>[1]) => {
    if (!options.sharedSecret) return {};
    const headers = { ...(init?.headers ?? {}) };
    Object.assign(
      headers,
      signGatewayRequest(options.sharedSecret, {
        method: init?.method ?? 'POST',
        path: pathOf(url),
        body: typeof init?.body === 'string' ? init.body : '',
        client: headers[CLIENT_HEADER] ?? '',
      }),
    );
    return { headers };
  };

  const forSubgraph = (name: string): Fetcher => {
    const timed = async (url: string, init?: Parameters<Fetcher>[1]) => {
      const started = process.hrtime.bigint();
      let ok = false;
      try {
        const res = (await undiciFetch(url, {
          ...(init as object),
          ...signed(url, init),
          dispatcher: agent,
        })) as unknown as Response;
        ok = res.ok;
        return res;
      } finally {
        options.metrics?.observeSubgraphFetch(name, Number(process.hrtime.bigint() - started) / 1e9, ok);
      }
    };
    if (!options.dedupe) return timed;

    return async (url, init) => {
      const body = init?.body;
      if (typeof body !== 'string' || /"query":"\s*mutation/.test(body)) return timed(url, init);
      const headers = Object.entries(init?.headers ?? {})
        .filter(([k]) => !NOT_IN_KEY.has(k.toLowerCase()))
        .sort(([a], [b]) => a.localeCompare(b));
      const key = `${url}\n${JSON.stringify(headers)}\n${body}`;
      let shared = inflight.get(key);
      if (!shared) {
        shared = timed(url, init)
          .then(async (res) => ({
            status: res.status,
            statusText: res.statusText,
            headers: [...res.headers.entries()],
            body: await res.text(),
          }))
          .finally(() => inflight.delete(key));
        inflight.set(key, shared);
      }
      return new BufferedResponse(url, await shared) as unknown as Response;
    };
  };
  return { forSubgraph, close: () => agent.close() };
}

/**
 * One waiter's view of a shared subgraph answer: what the data source reads of a fetch response
 * (`ok`, `status`, `statusText`, `url`, `headers.get`, `json()`/`text()`), over the buffered body.
 * A WHATWG `Response` per waiter (a body stream, a Headers list, the bytes decoded again) was a
 * visible share of the gateway's CPU per request; nothing downstream reads more than this.
 */
export class BufferedResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  readonly headers: ReadonlyHeaders;

  constructor(
    readonly url: string,
    private readonly answer: Buffered,
  ) {
    this.headers = new ReadonlyHeaders(answer.headers);
  }

  get ok(): boolean {
    return this.answer.status >= 200 && this.answer.status < 300;
  }
  get status(): number {
    return this.answer.status;
  }
  get statusText(): string {
    return this.answer.statusText;
  }
  async text(): Promise<string> {
    return this.answer.body;
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.answer.body);
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = new TextEncoder().encode(this.answer.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  clone(): BufferedResponse {
    return new BufferedResponse(this.url, this.answer);
  }
}

/** Response headers, read-only, names case-insensitive (as fetch's Headers; repeated names joined with ", "). */
class ReadonlyHeaders {
  private readonly map = new Map<string, string>();
  constructor(entries: [string, string][]) {
    for (const [name, value] of entries) {
      const key = name.toLowerCase();
      const known = this.map.get(key);
      this.map.set(key, known === undefined ? value : `${known}, ${value}`);
    }
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  forEach(callback: (value: string, name: string) => void): void {
    this.map.forEach((value, name) => callback(value, name));
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}
