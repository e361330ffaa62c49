// What a GraphQL server needs that is not a subgraph schema: errors and their formatting, the HTTP
// shell, request context, metrics, gateway signatures, document limits, event channel names. The
// gateway imports this entry point: `@hc/graphql` (every module of the package) would also load the
// schema-building stack (type-graphql's builder, @apollo/subgraph, graphql-tools, class-validator,
// graphql-scalars, libphonenumber-js), which only subgraphs use.
export * from './errors.js';
export * from './format-error.js';
export * from './dependency-errors.js';
export * from './context.js';
export * from './http-shell.js';
export * from './server.js';
export * from './metrics.js';
export * from './subscription-events.js';
export * from './response-gate.js';
export * from './document-limits.js';
export * from './gateway-signature.js';
export * from './express-middleware.js';
