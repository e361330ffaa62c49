export * from './definition.js';
export * from './redis.js';
export * from './run.js';
export * from './cli.js';
export * from './cluster.js';
export * from './lifecycle.js';
