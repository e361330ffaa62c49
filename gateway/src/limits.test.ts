import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse } from 'graphql';
import { COST_VERDICTS_PER_DOCUMENT, costRefusal, createCostCheck } from './limits.js';

const schema = buildSchema(`
  type Doctor { id: ID! name: String! }
  type DoctorConnection { totalCount: Int! nodes: [Doctor!]! }
  type Query { doctors(first: Int): DoctorConnection! }
`);
const config = { QUERY_MAX_COST: 150, QUERY_MAX_COST_NODES: 1000, QUERY_LIST_SIZE: 10 };
const document = parse(`query D($first: Int) { doctors(first: $first) { totalCount nodes { id name } } }`);
const verdict = (e: ReturnType<typeof costRefusal>) => (e ? { message: e.message, extensions: e.extensions } : undefined);

describe('createCostCheck (remembered cost verdicts)', () => {
  it('gives the verdict costRefusal gives, for each set of variables, when asked again too', () => {
    const check = createCostCheck(config);
    for (let round = 0; round < 2; round++)
      for (const first of [1, 10, 49, 50, 100, null]) {
        const variables = first === null ? undefined : { first };
        expect(verdict(check(schema, document, variables, 'D'))).toEqual(
          verdict(costRefusal(config, schema, document, variables, 'D')),
        );
      }
    expect(check(schema, document, { first: 100 }, 'D')?.extensions.reason).toBe('QUERY_TOO_COSTLY');
    expect(check(schema, document, { first: 10 }, 'D')).toBeUndefined();
  });

  it('keys on the document, not the query text alone: another document is checked on its own', () => {
    const check = createCostCheck(config);
    expect(check(schema, document, { first: 100 }, 'D')).toBeDefined();
    const cheaper = parse(`query D($first: Int) { doctors(first: $first) { totalCount } }`);
    expect(check(schema, cheaper, { first: 100 }, 'D')).toBeUndefined();
  });

  it('stays bounded per document and still answers right after the bound is reached', () => {
    const check = createCostCheck(config);
    for (let i = 0; i < COST_VERDICTS_PER_DOCUMENT * 3; i++) {
      const first = i % 100;
      expect(verdict(check(schema, document, { first }, 'D'))).toEqual(
        verdict(costRefusal(config, schema, document, { first }, 'D')),
      );
    }
  });

  it('each refusal is a fresh error (nothing thrown once is shared with the next request)', () => {
    const check = createCostCheck(config);
    const a = check(schema, document, { first: 100 }, 'D');
    const b = check(schema, document, { first: 100 }, 'D');
    expect(a).toBeDefined();
    expect(b).not.toBe(a);
    expect(b?.message).toBe(a?.message);
  });
});
