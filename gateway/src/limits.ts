import { ApolloArmor } from '@escape.tech/graphql-armor';
import { createRequire } from 'node:module';
import type * as QueryComplexity from 'graphql-query-complexity';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { GraphQLError, Kind, getNamedType, getNullableType, isListType, type SelectionNode, type ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayConfig } from '@hc/config';

// The package's ESM build imports graphql/index.mjs, a second graphql realm beside the CommonJS
// one Apollo uses ("Cannot use GraphQLObjectType from another realm"); its CommonJS build shares ours.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)('graphql-query-complexity') as typeof QueryComplexity;

export type LimitsConfig = Pick<
  GatewayConfig,
  | 'QUERY_MAX_DEPTH'
  | 'QUERY_MAX_ALIASES'
  | 'QUERY_MAX_ROOT_FIELDS'
  | 'QUERY_MAX_TOKENS'
  | 'QUERY_MAX_DIRECTIVES'
  | 'QUERY_MAX_COST'
  | 'QUERY_LIST_SIZE'
  | 'NODE_ENV'
>;

/**
 * Root fields per operation, counting fields reached through fragments at the root. graphql-armor
 * has no such plugin, so this one rule is ours; it rejects before execution like armor's rules.
 */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => {
    const countIn = (selections: readonly SelectionNode[], seen: Set<string>): number => {
      let n = 0;
      for (const sel of selections) {
        if (sel.kind === Kind.FIELD) n += 1;
        else if (sel.kind === Kind.INLINE_FRAGMENT) n += countIn(sel.selectionSet.selections, seen);
        else if (!seen.has(sel.name.value)) {
          seen.add(sel.name.value); // a fragment cycle is reported by graphql's own rule
          const fragment = context.getFragment(sel.name.value);
          if (fragment) n += countIn(fragment.selectionSet.selections, seen);
        }
      }
      return n;
    };
    return {
      OperationDefinition(node) {
        const n = countIn(node.selectionSet.selections, new Set());
        if (n > max) {
          context.reportError(
            new GraphQLError(`Operation has ${n} root fields; the limit is ${max}`, {
              nodes: [node],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'TOO_MANY_ROOT_FIELDS', http: { status: 400 } },
            }),
          );
        }
      },
    };
  };
}

/** Connection fields wrap their list in `nodes`; the page size is the argument on the connection field. */
const isConnection = (typeName: string) => typeName.endsWith('Connection');

/**
 * Cost of a field: 1, plus its children times the number of items it can return. A connection or
 * list taking `first` returns up to `first` items (the contract caps it at 100, so a client cannot
 * claim more); a connection's own `nodes` list is already counted by that `first`; any other list
 * counts as `listSize` items.
 */
export function listWeightedEstimator(listSize: number): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const isList = isListType(getNullableType(field.type));
    if (typeof args.first === 'number' && (isList || isConnection(getNamedType(field.type).name))) {
      return 1 + childComplexity * Math.max(0, Math.min(args.first, 100));
    }
    if (isList && isConnection(type.name)) return 1 + childComplexity;
    if (isList) return 1 + childComplexity * listSize;
    return undefined;
  };
}

/**
 * Every limit runs before the query is planned or sent to a subgraph. Depth, aliases and
 * directives come from graphql-armor; tokens from graphql-js's parser (counted while parsing, so
 * a 20k-token document is refused before its AST exists); the cost uses graphql-query-complexity in didResolveOperation
 * because weighting lists by `first` needs the variables, which validation rules do not see.
 * Standard validation already rejects fragment cycles; armor's rules also guard against them.
 * Root fields are bounded by the alias limit (a root field appears once per alias) and the cost.
 */
export function createLimits(config: LimitsConfig): {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  parseOptions: { maxTokens: number };
} {
  const armor = new ApolloArmor({
    maxDepth: { n: config.QUERY_MAX_DEPTH, flattenFragments: true },
    maxAliases: { n: config.QUERY_MAX_ALIASES },
    maxDirectives: { n: config.QUERY_MAX_DIRECTIVES },
    // Tokens are limited by graphql-js's own parser (parseOptions.maxTokens, see createLimits'
    // caller): armor's token plugin throws outside Apollo's error handling and answers 500.
    maxTokens: { enabled: false },
    // armor's cost ignores list sizes; ours below weights them by `first`.
    costLimit: { enabled: false },
    // "Did you mean ..." would let anyone map the schema while introspection is off.
    blockFieldSuggestion: { enabled: config.NODE_ENV === 'production' },
  });
  const protection = armor.protect();
  const estimators = [listWeightedEstimator(config.QUERY_LIST_SIZE), simpleEstimator({ defaultComplexity: 1 })];

  const costPlugin: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              variables: request.variables ?? {},
              operationName: operationName ?? undefined,
              estimators,
            });
          } catch (error) {
            // Variables that do not coerce: execution rejects them before any resolver runs.
            if (error instanceof GraphQLError) return;
            throw error;
          }
          if (cost > config.QUERY_MAX_COST) {
            throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${config.QUERY_MAX_COST}`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_COSTLY', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
  // armor is typed against Apollo's CommonJS declarations; the objects are the same plugins.
  const armorPlugins = protection.plugins as unknown as ApolloServerPlugin[];
  return {
    validationRules: [...protection.validationRules, maxRootFieldsRule(config.QUERY_MAX_ROOT_FIELDS)],
    plugins: [...armorPlugins, costPlugin],
    parseOptions: { maxTokens: config.QUERY_MAX_TOKENS },
  };
}
