import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gatewayEnv, loadConfig } from '@hc/config';
import { createLogger } from '@hc/logger';
import { composeFromCode, createTestKeys, testRedisPrefix, TEST_REDIS_URL } from '@hc/testing';
import { createGateway } from '../src/server.js';
import { startTracing } from '../src/tracing.js';
import { post } from './support.js';
import { subgraphs } from '../../scripts/subgraphs.ts';

/** An HTTP server standing in for a subgraph (answers the directory count) or an OTLP collector (keeps bodies). */
function server(handler: (body: Buffer, res: http.ServerResponse) => void) {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(Buffer.concat(chunks), res));
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(srv.address() as { port: number }).port}`,
        close: () =>
          new Promise((r) => {
            srv.close(() => r());
            srv.closeAllConnections();
          }),
      }),
    ),
  );
}

describe('OpenTelemetry tracing (OTEL_TRACING)', () => {
  const exported: Buffer[] = [];
  let collector: Awaited<ReturnType<typeof server>>;
  let subgraph: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    collector = await server((body, res) => {
      exported.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    subgraph = await server((_body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { doctors: { totalCount: 3 } } }));
    });
  });
  afterAll(async () => {
    await collector?.close();
    await subgraph?.close();
  });

  it('is off unless asked for, and when on exports the gateway request, plan and subgraph fetch spans over OTLP', async () => {
    const logger = createLogger('gateway', { LOG_LEVEL: 'silent', NODE_ENV: 'test' });
    const off = await startTracing({ OTEL_TRACING: false, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, logger);
    await off();
    expect(exported).toHaveLength(0);

    const stopTracing = await startTracing({ OTEL_TRACING: true, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }, logger);
    const down = 'http://127.0.0.1:9/graphql';
    const doctor = `${subgraph.url}/graphql`;
    const config = loadConfig(gatewayEnv, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: testRedisPrefix('otel'),
      AUTH_URL: down,
      DOCTOR_URL: doctor,
      NOTIFICATION_URL: down,
      PHARMACY_URL: down,
    });
    const gw = await createGateway(config, {
      supergraphSdl: await composeFromCode(subgraphs, { auth: down, doctor, notification: down, pharmacy: down }),
      verifyToken: createTestKeys().verifier,
    });
    const running = await gw.listen(0, '127.0.0.1');
    try {
      const res = await post(`${running.url}/graphql`, { query: '{ doctors(first: 1) { totalCount } }' });
      expect(res.body.data).toEqual({ doctors: { totalCount: 3 } });
    } finally {
      await running.stop();
      await stopTracing(); // flushes the batch
    }
    const all = Buffer.concat(exported).toString('latin1');
    for (const span of ['gateway.request', 'gateway.plan', 'gateway.fetch']) expect(all).toContain(span);
  });
});
