import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

// Keeps the layering: resolvers and federation references map arguments to a service call and
// back; SQL, transactions, locks and outbox writes live in *.service.ts.
const modules = path.dirname(fileURLToPath(import.meta.url));
const files = readdirSync(modules, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.(resolver|reference)\.ts$/.test(f))
  .map((f) => ({ name: f, source: readFileSync(path.join(modules, f), 'utf8') }));

const FORBIDDEN: [string, RegExp][] = [
  ['raw SQL', /\.execute\s*\(|getConnection\s*\(|createQueryBuilder\s*\(|\bqb\s*\(|\braw\s*\(/],
  ['a transaction', /\.transactional\s*\(|\.begin\s*\(/],
  ['a lock', /lockInOrder/],
  ['an outbox write', /\boutbox\b|addToOutbox/],
  ['an EntityManager call', /\.em\b/],
  ['another resolver', /from '[^']*\.resolver\.js'/],
];

describe('resolver layering', () => {
  it('finds the resolvers and references it guards', () => {
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        path.join('appointment', 'appointment.resolver.ts'),
        path.join('appointment', 'appointment.reference.ts'),
        path.join('doctor', 'doctor.resolver.ts'),
        path.join('workplace', 'workplace.resolver.ts'),
        path.join('assistant', 'assistant.resolver.ts'),
      ]),
    );
  });

  it.each(FORBIDDEN)('no resolver or reference contains %s', (_what, pattern) => {
    expect(files.filter((f) => pattern.test(f.source)).map((f) => f.name)).toEqual([]);
  });
});
