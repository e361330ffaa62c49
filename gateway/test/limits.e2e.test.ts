import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSupergraph, type TestSupergraph } from '@hc/testing';
import { DIRECTORY, extraGateway, post, seedDoctors, totalStatements, type RawResponse } from './support.js';
import { supergraph } from '../../scripts/subgraphs.ts';

/** `{ doctors { nodes { user { doctorProfile { user ... } } } } }` nested to `levels` user/doctorProfile pairs. */
function nested(levels: number, leaf = 'id'): string {
  let inner = leaf;
  for (let i = 0; i < levels; i++) inner = `user { name doctorProfile { id specialization ${inner} } }`;
  return inner;
}

describe('query limits before execution', () => {
  let sg: TestSupergraph;
  let url: string;
  beforeAll(async () => {
    sg = await startSupergraph(supergraph);
    url = sg.url;
    await seedDoctors(sg, 5, 'lim');
  });
  afterAll(async () => {
    await sg?.stop();
  });

  /** Sends the attack and proves it was refused with 400 and a code, and that no subgraph ran SQL. */
  async function expectRefused(body: unknown): Promise<RawResponse> {
    const before = totalStatements(sg);
    const res = await post(url, body);
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(typeof res.body.errors?.[0]?.extensions?.code).toBe('string');
    expect(totalStatements(sg)).toBe(before);
    return res;
  }

  it('lets a normal app query through (directory page of 100 with user names)', async () => {
    const res = await post(url, { query: DIRECTORY, variables: { first: 100 } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.doctors.nodes.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses depth 50', async () => {
    const res = await expectRefused({ query: `{ doctors(first: 1) { nodes { ${nested(24)} } } }` });
    expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors![0].message).toMatch(/depth/i);
  });

  it('refuses 100 aliases', async () => {
    const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: doctors(first: 1) { totalCount }`).join('\n');
    const res = await expectRefused({ query: `{ ${aliases} }` });
    expect(res.body.errors![0].message).toMatch(/alias/i);
  });

  it('refuses too many root fields, also when hidden in fragments', async () => {
    const fields = Array.from({ length: 12 }, () => 'categories { id }').join('\n');
    const res = await expectRefused({
      query: `query Many { ...R ... on Query { ${fields} } }
              fragment R on Query { ${fields} }`,
    });
    expect(res.body.errors![0].extensions!.reason).toBe('TOO_MANY_ROOT_FIELDS');
  });

  it('refuses 20k tokens', async () => {
    const fields = Array.from({ length: 5000 }, () => 'id').join(' ');
    const res = await expectRefused({ query: `{ doctors(first: 1) { nodes { ${fields} } } }` });
    expect(res.body.errors![0].message).toMatch(/token/i);
  });

  it('refuses circular fragments', async () => {
    const res = await expectRefused({
      query: `
        query Loop { doctors(first: 1) { nodes { ...A } } }
        fragment A on Doctor { id user { doctorProfile { ...B } } }
        fragment B on Doctor { id user { doctorProfile { ...A } } }
      `,
    });
    expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a cost bomb (lists weighted by first, from variables too)', async () => {
    const aliases = Array.from({ length: 14 }, (_, i) => `b${i}: doctors(first: $first) { nodes { ${nested(4)} } }`).join('\n');
    const res = await expectRefused({ query: `query Bomb($first: Int) { ${aliases} }`, variables: { first: 100 } });
    expect(res.body.errors![0].message).toMatch(/cost/i);
    // The same shape with small pages is an ordinary query.
    const small = await post(url, { query: `query Bomb($first: Int) { ${aliases} }`, variables: { first: 2 } });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  it('keeps batched HTTP requests off', async () => {
    const res = await post(url, [
      { query: '{ doctors(first: 1) { totalCount } }' },
      { query: '{ doctors(first: 1) { totalCount } }' },
    ]);
    expect(res.status).toBe(400);
  });

  it('requires a CSRF-safe request (no simple GET/form posts without a preflight header)', async () => {
    const res = await fetch(`${url}?query=${encodeURIComponent('{ doctors(first: 1) { totalCount } }')}`);
    expect(res.status).toBe(400);
    const ok = await fetch(`${url}?query=${encodeURIComponent('{ doctors(first: 1) { totalCount } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(ok.status).toBe(200);
  });

  it('turns introspection and "Did you mean" suggestions off with NODE_ENV=production', async () => {
    const dev = await post(url, { query: '{ __schema { queryType { name } } }' });
    expect(dev.status).toBe(200);
    const prod = await extraGateway(sg, { NODE_ENV: 'production' });
    try {
      const res = await prod.query({ query: '{ __schema { queryType { name } } }' });
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.body.errors![0].message).toMatch(/introspection/i);
      const typo = await prod.query({ query: '{ doctorz { totalCount } }' });
      expect(typo.status).toBe(400);
      expect(typo.body.errors![0].message).not.toMatch(/did you mean/i);
      expect(JSON.stringify(typo.body)).not.toContain('doctors');
      const normal = await prod.query({ query: DIRECTORY, variables: { first: 3 } });
      expect(normal.body.errors).toBeUndefined();
    } finally {
      await prod.stop();
    }
  });
});
