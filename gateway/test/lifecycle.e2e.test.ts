import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { gatewayEnv, loadConfig } from '@hc/config';
import { composeFromCode, createTestKeys, testRedisPrefix, TEST_REDIS_URL } from '@hc/testing';
import { createGateway, type RunningGateway } from '../src/server.js';
import { post } from './support.js';
import { subgraphs } from '../../scripts/subgraphs.ts';

/** A stand-in doctor subgraph that takes `delayMs` to answer, to hold a request in flight. */
function slowSubgraph(delayMs: number) {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { doctors: { totalCount: 7 } } }));
      }, delayMs),
    );
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`,
        close: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      }),
    ),
  );
}

async function startGateway(doctorUrl: string): Promise<RunningGateway> {
  const keys = createTestKeys();
  const down = 'http://127.0.0.1:9/graphql';
  const urls = { auth: down, doctor: doctorUrl, notification: down, pharmacy: down };
  const config = loadConfig(gatewayEnv, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: testRedisPrefix('life'),
    AUTH_URL: down,
    DOCTOR_URL: doctorUrl,
    NOTIFICATION_URL: down,
    PHARMACY_URL: down,
  });
  const gw = await createGateway(config, { supergraphSdl: await composeFromCode(subgraphs, urls), verifyToken: keys.verifier });
  return gw.listen(0, '127.0.0.1');
}

describe('gateway lifecycle', () => {
  let subgraph: Awaited<ReturnType<typeof slowSubgraph>>;
  beforeAll(async () => {
    subgraph = await slowSubgraph(600);
  });
  afterAll(async () => {
    await subgraph?.close();
  });

  it('/ready answers 503 and names the subgraphs it cannot reach', async () => {
    const gateway = await startGateway(subgraph.url);
    try {
      const res = await fetch(`${gateway.url}/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(body.checks.doctor).toBe('ok');
      expect(body.checks.auth).toMatch(/^failing/);
    } finally {
      await gateway.stop();
    }
  });

  it('on stop (SIGTERM) refuses new connections, finishes the request in flight and closes WebSockets with 1001', async () => {
    const gateway = await startGateway(subgraph.url);
    const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const inFlight = post(`${gateway.url}/graphql`, { query: '{ doctors(first: 1) { totalCount } }' });
    await new Promise((r) => setTimeout(r, 200));
    const stopping = gateway.stop();
    await new Promise((r) => setTimeout(r, 100));

    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ doctors: { totalCount: 7 } });
    expect(await closed).toBe(1001);
    await stopping;
  });
});
