import { startRedisServer, type RedisProcess } from './redis-servers.js';

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (waits for exit): an outage the test controls. */
  stop: () => Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  start: () => Promise<void>;
}

/**
 * A redis-server of the test's own on a free port that the test can stop and start again on the
 * same port, for outage tests: never the shared one other tests use. Persistence off.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  let server: RedisProcess | undefined = await startRedisServer();
  const port = server.port;
  return {
    url: server.url,
    port,
    stop: async () => {
      const running = server;
      server = undefined;
      await running?.stop();
    },
    start: async () => {
      if (!server) server = await startRedisServer({ port });
    },
  };
}
