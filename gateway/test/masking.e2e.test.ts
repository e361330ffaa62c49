import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { doctorEnv, gatewayEnv, loadConfig } from '@hc/config';
import { startSubgraph, type StartedSubgraph } from '@hc/service';
import { doctorSubgraph } from '@hc/doctor-subgraph/server';
import {
  composeFromCode,
  createTestDatabase,
  createTestKeys,
  testRedisPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
} from '@hc/testing';
import { createGateway, type RunningGateway } from '../src/server.js';
import { captureLogger, post } from './support.js';
import { subgraphs } from '../../scripts/subgraphs.ts';

/**
 * The doctor subgraph and the gateway, each logging into an array, so the test can prove that
 * what the client sees is masked and that the request id it gets finds the detail in the log.
 */
describe('error masking across the gateway', () => {
  let db: TestDatabase;
  let doctor: StartedSubgraph;
  let gateway: RunningGateway;
  const doctorLog = captureLogger('doctor');
  const gatewayLog = captureLogger('gateway');

  beforeAll(async () => {
    const keys = createTestKeys();
    const prefix = testRedisPrefix('mask');
    db = await createTestDatabase('doctor');
    const common = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      JWT_ISSUER: keys.issuer,
      JWT_AUDIENCE: keys.audience,
      AUTH_JWKS_URL: 'http://127.0.0.1:9/unused',
      // Production requires these; the gateway signs what it sends to the doctor subgraph.
      SUBGRAPH_SHARED_SECRET: randomBytes(32).toString('hex'),
      DOCUMENTS_URL_SECRET: randomBytes(32).toString('hex'),
    };
    doctor = await startSubgraph(doctorSubgraph, loadConfig(doctorEnv, { ...common, DATABASE_URL: db.url }), {
      port: 0,
      logger: doctorLog.logger,
      tokenKeys: keys.keyResolver,
    });
    const doctorUrl = `${doctor.server.url}/graphql`;
    const unused = 'http://127.0.0.1:9/graphql';
    const urls = { auth: unused, doctor: doctorUrl, notification: unused, pharmacy: unused };
    const config = loadConfig(gatewayEnv, {
      ...common,
      CACHE_REDIS_URL: TEST_REDIS_URL,
      AUTH_URL: unused,
      DOCTOR_URL: doctorUrl,
      NOTIFICATION_URL: unused,
      PHARMACY_URL: unused,
    });
    const gw = await createGateway(config, {
      supergraphSdl: await composeFromCode(subgraphs, urls),
      logger: gatewayLog.logger,
      verifyToken: keys.verifier,
    });
    gateway = await gw.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await gateway?.stop();
    await doctor?.stop();
    await db?.drop();
  });

  it('passes a contract error from a subgraph on with its code and message, without the subgraph name', async () => {
    const res = await post(`${gateway.url}/graphql`, { query: '{ doctors(first: 2, after: "not-a-cursor") { totalCount } }' });
    const error = res.body.errors![0];
    expect(error.extensions!.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe('after is not a valid cursor');
    expect(Object.keys(error.extensions!)).not.toContain('serviceName');
  });

  it('masks a subgraph database error with a request id that finds the detail in the log', async () => {
    await doctor.orm.em.getConnection().execute('alter table doctors rename to doctors_moved_away');
    try {
      const requestId = `mask-test-${Date.now()}`;
      const res = await post(
        `${gateway.url}/graphql`,
        { query: 'query Directory { doctors(first: 5) { totalCount nodes { id } } }' },
        { 'x-request-id': requestId },
      );
      expect(res.headers.get('x-request-id')).toBe(requestId);
      const error = res.body.errors![0];
      expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
      expect(error.message).toBe(`Internal server error (request id ${requestId})`);
      const client = JSON.stringify(res.body);
      for (const leak of [
        'does not exist',
        'relation',
        'TableNotFound',
        'select',
        'serviceName',
        'stack',
        '127.0.0.1',
        'subgraph',
      ]) {
        expect(client).not.toContain(leak);
      }

      // The same id leads to the database's own words in the subgraph's log (forwarded by the
      // gateway), and to the gateway's own line.
      const detail = doctorLog.lines.filter(
        (l) => l.requestId === requestId && JSON.stringify(l).includes('relation \\"doctors\\" does not exist'),
      );
      expect(detail.length).toBeGreaterThan(0);
      expect(gatewayLog.lines.some((l) => l.requestId === requestId && l.level === 'error')).toBe(true);
    } finally {
      await doctor.orm.em.getConnection().execute('alter table doctors_moved_away rename to doctors');
    }
  });

  it('generates a request id when the client sends none (or an unusable one)', async () => {
    const res = await post(
      `${gateway.url}/graphql`,
      { query: '{ doctors(first: 1) { totalCount } }' },
      { 'x-request-id': 'bad id with spaces' },
    );
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
