export * from './database.js';
export * from './tokens.js';
export * from './harness.js';
export * from './graphql-client.js';
export * from './redis-servers.js';
export * from './redis-server.js';
export * from './until.js';
