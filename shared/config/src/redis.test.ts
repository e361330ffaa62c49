import { describe, expect, it } from '@jest/globals';
import { commonEnv, ConfigError, loadConfig, redactRedisTarget, redisOptions } from './index.js';

describe('Redis target (REDIS_URL / REDIS_SENTINELS)', () => {
  it('a plain URL gives host, port, credentials and db', () => {
    const o = redisOptions('redis://app:s3cret@10.0.0.5:6380/2', { maxRetriesPerRequest: null });
    expect(o).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      username: 'app',
      password: 's3cret',
      db: 2,
      maxRetriesPerRequest: null,
    });
    expect(o.sentinels).toBeUndefined();
  });

  it('REDIS_SENTINELS wins over the address in REDIS_URL, which still gives password and db', () => {
    const config = loadConfig(commonEnv, {
      REDIS_URL: 'redis://:master%20pw@127.0.0.1:6379/3',
      REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'jobs',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    });
    const o = redisOptions(config.REDIS_URL);
    expect(o.sentinels).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    expect(o).toMatchObject({ name: 'jobs', password: 'master pw', db: 3, sentinelPassword: 'sentinel-pw' });
    expect(o.host).toBeUndefined();
    const shown = redactRedisTarget(config.REDIS_URL);
    expect(shown).not.toContain('master');
    expect(shown).not.toContain('sentinel-pw');
  });

  it('refuses a malformed sentinel list, naming the variable', () => {
    expect(() => loadConfig(commonEnv, { REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2' })).toThrow(ConfigError);
    expect(() => loadConfig(commonEnv, { REDIS_SENTINELS: 'host:99999' })).toThrow(/REDIS_SENTINELS/);
  });

  it('without REDIS_SENTINELS, REDIS_URL is left as given', () => {
    expect(loadConfig(commonEnv, { REDIS_URL: 'redis://127.0.0.1:6390' }).REDIS_URL).toBe('redis://127.0.0.1:6390');
  });
});
