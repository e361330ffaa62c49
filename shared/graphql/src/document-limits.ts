import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, type SelectionNode, type ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';

/** The document limits every GraphQL endpoint applies (the gateway adds its cost check on top). */
export interface DocumentLimitsConfig {
  QUERY_MAX_DEPTH: number;
  QUERY_MAX_ALIASES: number;
  QUERY_MAX_ROOT_FIELDS: number;
  QUERY_MAX_TOKENS: number;
  QUERY_MAX_DIRECTIVES: number;
  NODE_ENV: 'development' | 'test' | 'production';
}

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

export interface DocumentLimits {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  parseOptions: { maxTokens: number };
}

/**
 * Depth, aliases and directives from graphql-armor; tokens from graphql-js's parser (counted while
 * parsing, so a 20k-token document is refused before its AST exists); root fields by the rule above.
 * The gateway applies these to client documents, every subgraph to what reaches it.
 */
export function createDocumentLimits(config: DocumentLimitsConfig): DocumentLimits {
  const armor = new ApolloArmor({
    maxDepth: { n: config.QUERY_MAX_DEPTH, flattenFragments: true },
    maxAliases: { n: config.QUERY_MAX_ALIASES },
    maxDirectives: { n: config.QUERY_MAX_DIRECTIVES },
    // Tokens are limited by graphql-js's own parser (parseOptions.maxTokens): armor's token
    // plugin throws outside Apollo's error handling and answers 500.
    maxTokens: { enabled: false },
    // armor's cost ignores list sizes; the gateway's own weights them by `first`.
    costLimit: { enabled: false },
    // "Did you mean ..." would let anyone map the schema while introspection is off.
    blockFieldSuggestion: { enabled: config.NODE_ENV === 'production' },
  });
  const protection = armor.protect();
  return {
    validationRules: [...protection.validationRules, maxRootFieldsRule(config.QUERY_MAX_ROOT_FIELDS)],
    // armor is typed against Apollo's CommonJS declarations; the objects are the same plugins.
    plugins: protection.plugins as unknown as ApolloServerPlugin[],
    parseOptions: { maxTokens: config.QUERY_MAX_TOKENS },
  };
}

/**
 * The limits a subgraph applies. The query planner wraps entity fetches in `_entities(...) { ... on T }`
 * (one level deeper than the client's selection) and adds `__typename` and key fields (more tokens),
 * so a document the gateway accepted must still pass here: depth + 1 and twice the tokens; aliases,
 * directives and root fields as at the gateway.
 */
export function subgraphDocumentLimits(config: DocumentLimitsConfig): DocumentLimits {
  return createDocumentLimits({
    ...config,
    QUERY_MAX_DEPTH: config.QUERY_MAX_DEPTH + 1,
    QUERY_MAX_TOKENS: config.QUERY_MAX_TOKENS * 2,
  });
}
