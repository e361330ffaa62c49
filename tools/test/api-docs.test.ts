// docs/api.md is generated (npm run docs:api); these checks keep it complete and current.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { apiDocFile, authorizedRoles, KNOWN_CODES, renderApiDocs, rootFields } from '../../scripts/api-docs/render.ts';
import { UNAUTHORIZED_FIELDS } from '../../scripts/api-docs/access.ts';
import { FIELD_ERRORS } from '../../scripts/api-docs/errors.ts';

describe('API reference (docs/api.md)', () => {
  const names = rootFields().map((f) => f.field.name);
  const roles = authorizedRoles();

  it('reads the supergraph and the resolvers', () => {
    expect(names).toEqual(expect.arrayContaining(['me', 'login', 'bookAppointment', 'placeOrder', 'appointmentUpdated']));
    expect(roles.get('reviewDoctor')).toEqual(['ADMIN']);
  });

  it('says who may call every root field: @Authorized, or listed in scripts/api-docs/access.ts — not both', () => {
    expect(names.filter((n) => !roles.has(n) && !(n in UNAUTHORIZED_FIELDS))).toEqual([]);
    expect(Object.keys(UNAUTHORIZED_FIELDS).filter((n) => roles.has(n))).toEqual([]);
    expect(Object.keys(UNAUTHORIZED_FIELDS).filter((n) => !names.includes(n))).toEqual([]);
  });

  it('lists the error codes of every root field (scripts/api-docs/errors.ts), with known codes only', () => {
    expect(names.filter((n) => !(n in FIELD_ERRORS))).toEqual([]);
    expect(Object.keys(FIELD_ERRORS).filter((n) => !names.includes(n))).toEqual([]);
    const entries = Object.entries(FIELD_ERRORS).flatMap(([field, codes]) => codes.map((c) => ({ field, c })));
    expect(entries.filter(({ c }) => !KNOWN_CODES.includes(c.split(':')[0]))).toEqual([]);
    // A conflict is only useful to a client with its reason.
    expect(entries.filter(({ c }) => c === 'CONFLICT')).toEqual([]);
  });

  it('is current (run `npm run docs:api` after a schema, role or error-table change)', async () => {
    expect(readFileSync(apiDocFile, 'utf8')).toEqual(await renderApiDocs());
  });
});
