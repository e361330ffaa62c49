import { createRequire } from 'node:module';
import type * as QueryComplexity from 'graphql-query-complexity';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  isListType,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayConfig } from '@hc/config';
import { createDocumentLimits } from '@hc/graphql/shell';

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
  | 'QUERY_MAX_COST_NODES'
  | 'NODE_ENV'
>;

/** Connection fields wrap their list in `nodes`; the page size is the argument on the connection field. */
const isConnection = (typeName: string) => typeName.endsWith('Connection');

/**
 * Lists without `first`, counted at the most items they can hold. `Doctor.workplaces` has no
 * page size: it is counted at WORKPLACES_PER_DOCTOR (the directory's own assumption).
 * `Doctor.availableSlots` returns at most one slot per SLOT_MIN_MINUTES of its window per
 * workplace; the doctor subgraph refuses windows longer than SLOT_WINDOW_MAX_DAYS, so that is the cap here too.
 */
export const WORKPLACES_PER_DOCTOR = 10;
export const SLOT_WINDOW_MAX_DAYS = 14;
export const SLOT_MIN_MINUTES = 5;

/** Most slots `availableSlots(from, to, workplaceId)` can return, by its arguments. */
export function maxSlots(args: { from?: unknown; to?: unknown; workplaceId?: unknown }): number {
  const time = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN);
  const cap = SLOT_WINDOW_MAX_DAYS * 24 * 60;
  const minutes = (time(args.to) - time(args.from)) / 60_000;
  // An unreadable window is refused by the subgraph; count it at the cap meanwhile.
  const window = Number.isFinite(minutes) ? Math.max(0, Math.min(minutes, cap)) : cap;
  const perWorkplace = Math.ceil(window / SLOT_MIN_MINUTES);
  return perWorkplace * (args.workplaceId ? 1 : WORKPLACES_PER_DOCTOR);
}

/**
 * Cost of a field: 1, plus its children times the number of items it can return. A connection or
 * list taking `first` returns up to `first` items (the contract caps it at 100, so a client cannot
 * claim more); a connection's own `nodes` list is already counted by that `first`; the capped
 * lists above count at their cap; any other list counts as `listSize` items.
 */
export function listWeightedEstimator(listSize: number): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    const isList = isListType(getNullableType(field.type));
    if (typeof args.first === 'number' && (isList || isConnection(getNamedType(field.type).name))) {
      return 1 + childComplexity * Math.max(0, Math.min(args.first, 100));
    }
    if (isList && isConnection(type.name)) return 1 + childComplexity;
    if (type.name === 'Doctor' && field.name === 'availableSlots') return 1 + Math.max(childComplexity, 1) * maxSlots(args);
    if (type.name === 'Doctor' && field.name === 'workplaces') return 1 + childComplexity * WORKPLACES_PER_DOCTOR;
    if (isList) return 1 + childComplexity * listSize;
    return undefined;
  };
}

const refusal = (message: string, reason: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', reason, http: { status: 400 } } });

/**
 * The cost check shared by HTTP and WebSocket: the refusal, or undefined when the operation may run.
 * Fails closed: the only estimator failure allowed through is variables that do not coerce
 * (execution rejects those before any resolver runs); anything else (the node limit, a
 * fragment bomb that multiplies visited nodes, an unexpected throw) refuses the operation.
 */
export function costRefusal(
  config: Pick<LimitsConfig, 'QUERY_MAX_COST' | 'QUERY_MAX_COST_NODES' | 'QUERY_LIST_SIZE'>,
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): GraphQLError | undefined {
  const operation = getOperationAST(document, operationName);
  if (operation) {
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
    if (coerced.errors) return undefined;
  }
  let cost: number;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName,
      estimators: estimatorsFor(config.QUERY_LIST_SIZE),
      maxQueryNodes: config.QUERY_MAX_COST_NODES,
    });
  } catch (error) {
    const detail = error instanceof GraphQLError ? error.message : 'the estimator failed';
    return refusal(`Query cost could not be bounded: ${detail}`, 'QUERY_TOO_COMPLEX');
  }
  if (!Number.isFinite(cost)) return refusal('Query cost could not be bounded', 'QUERY_TOO_COMPLEX');
  if (cost > config.QUERY_MAX_COST)
    return refusal(`Query cost ${cost} exceeds the limit of ${config.QUERY_MAX_COST}`, 'QUERY_TOO_COSTLY');
  return undefined;
}

/** Verdicts remembered per document (per distinct operation name and variables), at most. */
export const COST_VERDICTS_PER_DOCUMENT = 64;
/** Longest operation-name + variables key a verdict is remembered under (1 KiB). */
const COST_VERDICT_MAX_KEY = 1024;

/**
 * `costRefusal` remembered: the cost depends only on the schema, the document, the operation
 * name and the variables, so a document seen again with the same variables (the common case: an
 * app sends the same few operations) is not walked again. Keyed by the parsed document object
 * (Apollo's document cache hands the same object back for the same query text; held weakly, so
 * it goes when that cache lets it go) and then by operation name + JSON of the variables, at most
 * COST_VERDICTS_PER_DOCUMENT per document (a full set is cleared and starts again). Holds only
 * verdicts (pass, or the refusal's message and reason), no answers and nothing about the caller.
 */
export function createCostCheck(
  config: Pick<LimitsConfig, 'QUERY_MAX_COST' | 'QUERY_MAX_COST_NODES' | 'QUERY_LIST_SIZE'>,
): (
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
) => GraphQLError | undefined {
  const bySchema = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, { message: string; reason: string } | null>>>();
  return (schema, document, variables, operationName) => {
    let byDocument = bySchema.get(schema);
    if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
    let verdicts = byDocument.get(document);
    if (!verdicts) byDocument.set(document, (verdicts = new Map()));
    let key: string;
    try {
      key = `${operationName ?? ''}\n${JSON.stringify(variables ?? {})}`;
    } catch {
      return costRefusal(config, schema, document, variables, operationName);
    }
    const known = verdicts.get(key);
    if (known !== undefined) return known ? refusal(known.message, known.reason) : undefined;
    const refused = costRefusal(config, schema, document, variables, operationName);
    // Large variables are checked every time rather than kept as keys (memory stays bounded).
    if (key.length > COST_VERDICT_MAX_KEY) return refused;
    if (verdicts.size >= COST_VERDICTS_PER_DOCUMENT) verdicts.clear();
    verdicts.set(key, refused ? { message: refused.message, reason: String(refused.extensions.reason) } : null);
    return refused;
  };
}

const estimatorCache = new Map<number, ComplexityEstimator[]>();
function estimatorsFor(listSize: number): ComplexityEstimator[] {
  let e = estimatorCache.get(listSize);
  if (!e) estimatorCache.set(listSize, (e = [listWeightedEstimator(listSize), simpleEstimator({ defaultComplexity: 1 })]));
  return e;
}

/**
 * Every limit runs before the query is planned or sent to a subgraph. Depth, aliases, directives,
 * tokens and root fields are the shared document limits (`createDocumentLimits` in @hc/graphql,
 * which subgraphs apply too); the cost uses graphql-query-complexity in didResolveOperation
 * because weighting lists by `first` needs the variables, which validation rules do not see.
 * Standard validation already rejects fragment cycles; armor's rules also guard against them.
 * Root fields are bounded by the alias limit (a root field appears once per alias) and the cost.
 */
export interface Limits {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  parseOptions: { maxTokens: number };
  /**
   * The same limits for a document that does not pass through Apollo (graphql-ws): parse with
   * the token limit, graphql's standard validation plus every rule above, then the cost.
   */
  check(
    schema: GraphQLSchema,
    request: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null },
  ): { document: DocumentNode; errors?: undefined } | { errors: readonly GraphQLError[] };
}

export function createLimits(config: LimitsConfig): Limits {
  // Depth, aliases, directives, tokens and root fields: the definition every subgraph applies too.
  const documentLimits = createDocumentLimits(config);
  const costCheck = createCostCheck(config);

  const costPlugin: ApolloServerPlugin = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          const refused = costCheck(schema, document, request.variables, operationName ?? undefined);
          if (refused) throw refused;
        },
      };
    },
  };
  const { validationRules, parseOptions } = documentLimits;
  const hideSuggestions = (e: GraphQLError) =>
    config.NODE_ENV === 'production' && / Did you mean /.test(e.message)
      ? new GraphQLError(e.message.replace(/ Did you mean .*$/, ''), { extensions: e.extensions })
      : e;
  return {
    validationRules,
    plugins: [...documentLimits.plugins, costPlugin],
    parseOptions,
    check(schema, request) {
      let document: DocumentNode;
      try {
        document = parse(request.query, parseOptions);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return { errors: [new GraphQLError(error.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
      }
      const invalid = validate(schema, document, [...specifiedRules, ...validationRules]);
      if (invalid.length)
        return {
          errors: invalid.map((e) =>
            hideSuggestions(new GraphQLError(e.message, { extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } })),
          ),
        };
      const refused = costRefusal(config, schema, document, request.variables ?? undefined, request.operationName ?? undefined);
      return refused ? { errors: [refused] } : { document };
    },
  };
}
