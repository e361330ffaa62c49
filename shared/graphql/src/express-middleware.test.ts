import { parse } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { searchOf } from './express-middleware.js';

describe('searchOf', () => {
  it("gives what url.parse(target).search gives (or '')", () => {
    for (const target of [
      '/graphql',
      '/graphql?',
      '/graphql?query=%7B__typename%7D',
      '/graphql?query={me{id}}&variables={"a":1}',
      '/?a=1#frag',
      '/graphql#x?y',
      '/graphql?a=1?b=2',
      '/',
      '/graphql?q=<a>|b^c`d\\e',
    ])
      expect(searchOf(target)).toBe(parse(target).search ?? '');
  });
});
