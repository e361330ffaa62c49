export { loadConfig, ConfigError } from './load.js';
export * from './schemas.js';
export { envTable } from './env-docs.js';
