// The subset of autocannon 9 the harness uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    duration?: number;
    connections?: number;
    overallRate?: number;
    expectBody?: string;
    /** False marks a response body as a mismatch (counted in `mismatches`). */
    verifyBody?: (body: string) => boolean;
    /** Called before each request is sent; what it returns is sent. */
    requests?: {
      setupRequest?: (req: { method: string; path: string; headers: Record<string, string>; body?: string }) => unknown;
      /** Body of this step of the sequence (replaces the instance-wide body). */
      body?: string;
    }[];
  }
  interface Result {
    requests: { total: number; average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches?: number;
  }
  type Instance = EventEmitter & PromiseLike<Result>;
  export default function autocannon(options: Options): Instance;
}
