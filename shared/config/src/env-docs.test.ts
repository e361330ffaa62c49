import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { envTable } from './index.js';

describe('README environment table', () => {
  it('matches the config schemas (run `npm run docs:env` after adding a variable)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const current = /<!-- env:start -->\n([\s\S]*)\n<!-- env:end -->/.exec(readme)?.[1];
    expect(current).toBe(envTable());
  });
});
