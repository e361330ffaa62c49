import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { envTable } from './index.js';

describe('README environment table', () => {
  it('matches the config schemas (run `npm run docs:env` after adding a variable)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const current = /<!-- env:start -->([\s\S]*)<!-- env:end -->/.exec(readme)?.[1];
    // Compare cell by cell: Prettier pads the table's columns.
    const cells = (table = '') =>
      table
        .trim()
        .split('\n')
        .map((line) =>
          line
            .split('|')
            .map((c) => c.trim().replace(/^-+$/, '-'))
            .join('|'),
        );
    expect(cells(current)).toEqual(cells(envTable()));
  });
});
