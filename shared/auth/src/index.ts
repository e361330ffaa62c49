export * from './types.js';
export * from './keys.js';
export * from './verify.js';
export * from './revocation.js';
