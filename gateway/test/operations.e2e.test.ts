import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { sha256 } from '../src/persisted-queries.js';
import { DIRECTORY, extraGateway, post, seedDoctors, totalStatements } from './support.js';
import { supergraph } from '../../scripts/subgraphs.ts';

const apq = (query: string) => ({ version: 1, sha256Hash: sha256(query) });

/** Values of a Prometheus series whose labels include `labels` (label order is not fixed). */
function series(text: string, name: string, labels: Record<string, string> = {}): number[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

describe('gateway operations: metrics, persisted queries, response cache', () => {
  let sg: TestSupergraph;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    await seedDoctors(sg, 4, 'ops');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  it('/metrics on the gateway exposes requests and durations by operation and subgraph fetch durations', async () => {
    await sg.query(DIRECTORY, { first: 3 });
    const text = await (await fetch(`${sg.gatewayUrl}/metrics`)).text();
    expect(series(text, 'graphql_requests_total', { operation: 'Directory', outcome: 'ok' })[0]).toBeGreaterThanOrEqual(1);
    expect(series(text, 'graphql_request_duration_seconds_count', { operation: 'Directory' })[0]).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'doctor', outcome: 'ok' })[0],
    ).toBeGreaterThanOrEqual(1);
    expect(
      series(text, 'gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'auth', outcome: 'ok' })[0],
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('/metrics on every subgraph exposes requests, SQL statements, the database pool and queue depths', async () => {
    for (const [name, sub] of Object.entries(sg.subgraphs)) {
      const text = await (await fetch(`${sub.server.url}/metrics`)).text();
      expect(series(text, 'db_statements_total', { service: name })).toHaveLength(1);
      expect(series(text, 'db_pool_connections', { service: name, state: 'total' })).toHaveLength(1);
      expect(series(text, 'db_pool_connections', { service: name, state: 'waiting' })).toHaveLength(1);
      expect(series(text, 'queue_jobs', { service: name, state: 'failed' }).length).toBeGreaterThanOrEqual(1);
      expect(text).toContain('# TYPE graphql_requests_total counter');
    }
    const doctor = await (await fetch(`${sg.subgraphs.doctor.server.url}/metrics`)).text();
    expect(series(doctor, 'graphql_requests_total', { service: 'doctor', outcome: 'ok' }).length).toBeGreaterThanOrEqual(1);
    expect(series(doctor, 'db_statements_total')[0]).toBeGreaterThan(0);
    const notification = await (await fetch(`${sg.subgraphs.notification.server.url}/metrics`)).text();
    expect(series(notification, 'queue_jobs', { queue: 'notifications', state: 'wait' })).toHaveLength(1);
  });

  it('accepts automatic persisted queries (hash first, then hash + query, then hash only)', async () => {
    const query = `${DIRECTORY} # apq ${Date.now()}`;
    const miss = await post(sg.url, { extensions: { persistedQuery: apq(query) }, variables: { first: 2 } });
    expect(miss.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await post(sg.url, { query, extensions: { persistedQuery: apq(query) }, variables: { first: 2 } });
    expect(register.body.errors).toBeUndefined();
    const hit = await post(sg.url, { extensions: { persistedQuery: apq(query) }, variables: { first: 2 } });
    expect(hit.body.errors).toBeUndefined();
    expect(hit.body.data!.doctors.nodes).toHaveLength(2);
  });

  it('in safelist mode runs only registered operations', async () => {
    const registered = 'query Count { doctors(first: 1) { totalCount } }';
    const file = path.join(tmpdir(), `safelist-${Date.now()}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: sha256(registered), name: 'Count', type: 'query', body: registered }],
      }),
    );
    const gw = await extraGateway(sg, { PERSISTED_QUERIES_SAFELIST: file });
    try {
      const byHash = await gw.query({ extensions: { persistedQuery: apq(registered) } });
      expect(byHash.body.errors).toBeUndefined();
      expect(byHash.body.data!.doctors.totalCount).toBeGreaterThanOrEqual(4);
      const byText = await gw.query({ query: registered });
      expect(byText.body.errors).toBeUndefined();
      const before = totalStatements(sg);
      const other = await gw.query({ query: 'query Other { doctors(first: 2) { totalCount } }' });
      expect(other.status).toBe(400);
      expect(other.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const sneaky = await gw.query({
        query: 'query Other { doctors(first: 2) { totalCount } }',
        extensions: { persistedQuery: apq(registered) },
      });
      expect(sneaky.status).toBe(400);
      expect(totalStatements(sg)).toBe(before);
    } finally {
      await gw.stop();
    }
  });

  it('serves anonymous public reads from the Redis response cache, never a signed-in caller', async () => {
    const gw = await extraGateway(sg, { RESPONSE_CACHE: 'true' });
    try {
      const body = { query: DIRECTORY, variables: { first: 3, spec: 'ops-spec' } };
      const first = await gw.query(body);
      expect(first.body.errors).toBeUndefined();
      expect(first.headers.get('cache-control')).toBe('max-age=30, public');
      const before = totalStatements(sg);
      const second = await gw.query(body);
      expect(second.body.data).toEqual(first.body.data);
      expect(second.headers.get('age')).not.toBeNull();
      expect(totalStatements(sg)).toBe(before);

      // With a token: no cache read or write, every request reaches the subgraphs.
      const token = sg.tokenFor({ role: 'PATIENT' });
      const signedIn = await gw.query(body, { authorization: `Bearer ${token}` });
      expect(signedIn.headers.get('age')).toBeNull();
      expect(signedIn.headers.get('cache-control')).toBe('no-store');
      expect(totalStatements(sg)).toBeGreaterThan(before);

      // A private root field is never cached, even anonymously.
      const me = await gw.query({ query: '{ me { id } }' });
      expect(me.headers.get('cache-control')).toBe('no-store');
    } finally {
      await gw.stop();
    }
  });
});
