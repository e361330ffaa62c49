import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabase } from '@hc/db';

/** The PostgreSQL server tests use (TEST_DATABASE_URL, else the local default). */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const suffix = () => randomBytes(5).toString('hex');

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

/** A fresh, empty database for one test file (migrations run when the subgraph starts). */
export async function createTestDatabase(service: string): Promise<TestDatabase> {
  const url = withDatabase(TEST_SERVER_URL, `test_${service}_${suffix()}`);
  await ensureDatabase(url);
  return { url, drop: () => dropDatabase(url) };
}

/** A Redis key prefix of one's own, so test files never see each other's queues or keys. */
export const testRedisPrefix = (label = 't'): string => `test:${label}:${suffix()}`;
