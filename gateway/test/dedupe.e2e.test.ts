import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gatewayEnv, loadConfig } from '@hc/config';
import { composeFromCode, createTestKeys, signTestToken, testRedisPrefix, TEST_REDIS_URL } from '@hc/testing';
import { createGateway, type RunningGateway } from '../src/server.js';
import { post } from './support.js';
import { subgraphs } from '../../scripts/subgraphs.ts';

/** A stand-in doctor subgraph that counts the operations it receives and answers after 1 s (a wide window for requests to meet). */
function countingSubgraph() {
  const received: { query: string; authorization?: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { query } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string };
      received.push({ query, authorization: req.headers.authorization });
      const data = query.startsWith('mutation')
        ? { deactivateWorkplace: { id: 'w1' } }
        : { doctors: { totalCount: received.length } };
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data })), 1_000);
    });
  });
  return new Promise<{ url: string; received: typeof received; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`,
        received,
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      }),
    ),
  );
}

describe('in-flight dedupe of subgraph fetches (SUBGRAPH_DEDUPE)', () => {
  let subgraph: Awaited<ReturnType<typeof countingSubgraph>>;
  let gateway: RunningGateway;
  const keys = createTestKeys();
  beforeAll(async () => {
    subgraph = await countingSubgraph();
    const down = 'http://127.0.0.1:9/graphql';
    const config = loadConfig(gatewayEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: testRedisPrefix('dedupe'),
      AUTH_URL: down,
      DOCTOR_URL: subgraph.url,
      NOTIFICATION_URL: down,
      PHARMACY_URL: down,
    });
    const gw = await createGateway(config, {
      supergraphSdl: await composeFromCode(subgraphs, { auth: down, doctor: subgraph.url, notification: down, pharmacy: down }),
      verifyToken: keys.verifier,
    });
    gateway = await gw.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.close();
  });

  const send = (query: string, token?: string) =>
    post(`${gateway.url}/graphql`, { query }, token ? { authorization: `Bearer ${token}` } : {});

  it('sends identical concurrent queries once, per caller, and every client gets the answer', async () => {
    subgraph.received.length = 0;
    const query = '{ doctors(first: 5) { totalCount } }';
    const anonymous = await Promise.all(Array.from({ length: 8 }, () => send(query)));
    expect(subgraph.received).toHaveLength(1);
    for (const res of anonymous) expect(res.body.data).toEqual({ doctors: { totalCount: 1 } });

    // Two callers: never one caller's answer for another.
    subgraph.received.length = 0;
    const a = signTestToken(keys, { role: 'PATIENT' });
    const b = signTestToken(keys, { role: 'PATIENT' });
    await Promise.all([send(query, a), send(query, a), send(query, b), send(query, b)]);
    expect(subgraph.received).toHaveLength(2);
    expect(new Set(subgraph.received.map((r) => r.authorization)).size).toBe(2);
  });

  it('never shares a mutation', async () => {
    subgraph.received.length = 0;
    const token = signTestToken(keys, { role: 'DOCTOR' });
    const mutation = 'mutation { deactivateWorkplace(id: "00000000-0000-0000-0000-000000000001") { id } }';
    await Promise.all(Array.from({ length: 3 }, () => send(mutation, token)));
    expect(subgraph.received.filter((r) => r.query.startsWith('mutation'))).toHaveLength(3);
  });
});
