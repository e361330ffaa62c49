export { loadConfig, ConfigError } from './load.js';
export * from './schemas.js';
