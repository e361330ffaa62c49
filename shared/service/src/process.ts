// The process shell without the subgraph runner: lifecycle (signals, drain), cluster supervision and
// Redis clients. The gateway imports this entry point, so it never loads what `run.ts` brings in
// (MikroORM, BullMQ, type-graphql): `import '@hc/service'` loads every module of the package.
export * from './cluster.js';
export * from './lifecycle.js';
export * from './redis.js';
