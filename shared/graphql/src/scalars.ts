import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { GraphQLError } from 'graphql';

/** ISO-8601 date-time with offset (serialised in UTC). */
export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
function parseDate(value: unknown): string {
  if (typeof value !== 'string') throw badInput('Date must be a string YYYY-MM-DD');
  const m = DATE_RE.exec(value);
  if (!m) throw badInput('Date must be YYYY-MM-DD');
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  if (d.getUTCFullYear() !== +m[1] || d.getUTCMonth() !== +m[2] - 1 || d.getUTCDate() !== +m[3]) {
    throw badInput('Date is not a real calendar day');
  }
  return value;
}

/** Calendar date (YYYY-MM-DD) carried as a string, never shifted by time zones. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD.',
  serialize: (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : parseDate(v)),
  parseValue: parseDate,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind !== Kind.STRING) throw badInput('Date must be a string YYYY-MM-DD');
    return parseDate(ast.value);
  },
});

const DECIMAL_RE = /^-?\d{1,15}(\.\d{1,4})?$/;
function parseDecimal(value: unknown): string {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !DECIMAL_RE.test(s)) {
    throw badInput('Decimal must be a string like "12.50" (up to 15 digits and 4 decimals)');
  }
  return s;
}

/** Exact decimal carried as a string ("12.50"): money never passes through floats. */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal serialised as a string, e.g. "12.50".',
  serialize: (v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    throw new Error('Decimal value must be a string');
  },
  parseValue: parseDecimal,
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind !== Kind.STRING) throw badInput('Decimal must be passed as a string, e.g. "12.50"');
    return parseDecimal(ast.value);
  },
});

/** type-graphql scalarsMap: TS Date fields become DateTime. */
export const scalarsMap = [{ type: Date, scalar: DateTimeScalar }];
