import { describe, expect, it } from '@jest/globals';
import { GraphQLError, Kind } from 'graphql';
import { pino } from 'pino';
import { ConflictError, createFormatError, DateScalar, DecimalScalar, NotFoundError, pageSize } from './index.js';

const logged: unknown[] = [];
const logger = pino({ level: 'info' }, { write: (l: string) => void logged.push(JSON.parse(l)) });
const format = createFormatError({ logger, requestId: () => 'req-42' });
const asResolverError = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ['x'] });

describe('formatError', () => {
  it('passes contract errors through with their code and safe extensions only', () => {
    const e = new ConflictError('Slot taken', 'SLOT_UNAVAILABLE');
    const out = format(
      { message: e.message, extensions: { ...e.extensions, stacktrace: ['at x'], response: { url: 'http://auth' } } },
      e,
    );
    expect(out.extensions).toEqual({ code: 'CONFLICT', reason: 'SLOT_UNAVAILABLE' });
    expect(
      format({ message: 'x', extensions: new NotFoundError('Order').extensions }, new NotFoundError('Order')).extensions,
    ).toEqual({
      code: 'NOT_FOUND',
    });
  });

  it('maps database constraint errors to contract codes', () => {
    const exclusion = Object.assign(new Error('conflicting key value violates exclusion constraint "no_overlap"'), {
      code: '23P01',
    });
    expect(format({ message: exclusion.message }, asResolverError(exclusion)).extensions).toEqual({
      code: 'CONFLICT',
      reason: 'SLOT_UNAVAILABLE',
    });
    for (const state of ['22P02', '22001', '22021', '22003', '22007', '22008']) {
      const bad = Object.assign(new Error(`value error ${state}`), { code: state });
      expect(format({ message: bad.message }, asResolverError(bad)).extensions?.code).toBe('BAD_USER_INPUT');
    }
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(format({ message: unique.message }, asResolverError(unique)).extensions?.code).toBe('CONFLICT');
  });

  it('masks unexpected errors, returns the request id and logs the detail', () => {
    const boom = new Error('select * from secrets failed at 10.0.0.3');
    const out = format({ message: boom.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, asResolverError(boom));
    expect(out.message).toBe('Internal server error (request id req-42)');
    expect(out.message).not.toContain('secrets');
    expect(out.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' });
    expect(JSON.stringify(logged)).toContain('select * from secrets');
  });
});

describe('scalars', () => {
  it('Decimal keeps exact strings and rejects floats in literals', () => {
    expect(DecimalScalar.parseValue('12.50')).toBe('12.50');
    expect(() => DecimalScalar.parseValue('12.5.0')).toThrow(/Decimal/);
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '0.1' })).toThrow(/string/);
    expect(DecimalScalar.serialize('0.30')).toBe('0.30');
  });

  it('Date accepts real calendar days only', () => {
    expect(DateScalar.parseValue('2024-02-29')).toBe('2024-02-29');
    expect(() => DateScalar.parseValue('2023-02-29')).toThrow(/real calendar day/);
    expect(() => DateScalar.parseValue('29/02/2024')).toThrow(/YYYY-MM-DD/);
  });
});

describe('pageSize', () => {
  it('caps first at 100 and rejects non-positive values', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow(/between 1 and 100/);
    expect(() => pageSize(0)).toThrow(GraphQLError);
  });
});
