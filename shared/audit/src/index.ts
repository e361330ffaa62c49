export * from './event.js';
export * from './ddl.js';
export * from './append.js';
export * from './collector.js';
export * from './collect.js';
export * from './verify.js';
