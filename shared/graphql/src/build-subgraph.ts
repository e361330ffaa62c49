import { parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, createResolversMap, type NonEmptyArray, type PubSub } from 'type-graphql';
import { authChecker } from './auth-checker.js';
import { scalarsMap } from './scalars.js';
import { validateArgument } from './validate-args.js';

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@override", "@tag", "@interfaceObject"])';

export interface BuildSubgraphOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
  /** `{ User: { __resolveReference(ref, ctx) } }` for the entities this subgraph resolves. */
  referenceResolvers?: GraphQLResolverMap<unknown>;
  /** Needed by type-graphql when the subgraph declares @Subscription fields (doctor's, served by the gateway). */
  pubSub?: PubSub;
}

export interface BuiltSubgraph {
  schema: GraphQLSchema;
  /** The subgraph SDL with its Federation 2 @link, as committed in schema.graphql. */
  sdl: string;
}

/**
 * type-graphql resolvers → Federation 2 subgraph schema. The type-graphql schema is printed with
 * its directives (@key, @shareable), parsed as subgraph SDL and rebuilt by @apollo/subgraph with
 * type-graphql's resolvers plus the entity reference resolvers.
 */
export async function buildSubgraph(options: BuildSubgraphOptions): Promise<BuiltSubgraph> {
  const tgSchema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    pubSub: options.pubSub,
    authChecker,
    scalarsMap,
    // Every argument object through class-validator, imported once (see validate-args.ts).
    validateFn: validateArgument,
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(tgSchema)}\n`;
  const resolvers = createResolversMap(tgSchema) as GraphQLResolverMap<unknown>;
  for (const [typeName, refs] of Object.entries(options.referenceResolvers ?? {})) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...(refs as object) } as never;
  }
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
  return { schema, sdl };
}
