import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { SearchResult, search } from './search.service.js';
import type { PharmacySubgraphContext } from '../../context.js';

@Resolver()
export class SearchResolver {
  @Query(() => SearchResult, {
    description: 'Public: pharmacies and in-stock offers matching `query`, tolerant of small typos; best match first.',
  })
  search(
    @Arg('query', () => String) query: string,
    @Ctx() ctx: PharmacySubgraphContext,
    @Arg('city', () => String, { nullable: true }) city?: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
  ): Promise<SearchResult> {
    return search(ctx, query, city, first);
  }
}
