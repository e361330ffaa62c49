export { loadConfig, ConfigError } from './load.js';
export * from './schemas.js';
export { envTable } from './env-docs.js';
export { createRedis, redisOptions, redactRedisTarget, parseSentinels, sentinelTarget } from './redis.js';
