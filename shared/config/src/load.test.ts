import { describe, expect, it } from '@jest/globals';
import { authEnv, ConfigError, gatewayEnv, loadConfig, notificationEnv } from './index.js';

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const c = loadConfig(authEnv, {});
    expect(c.AUTH_PORT).toBe(3001);
    expect(c.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/auth_service');
    expect(c.BCRYPT_COST).toBe(12);
    expect(c.MIGRATE_ON_START).toBe(true);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig(authEnv, { AUTH_PORT: 'abc' })).toThrow(ConfigError);
    try {
      loadConfig(authEnv, { AUTH_PORT: 'abc', REDIS_URL: 'not a url' });
    } catch (error) {
      const e = error as ConfigError;
      expect(e.message).toContain('AUTH_PORT');
      expect(e.message).toContain('REDIS_URL');
      expect(e.problems.map((p) => p.variable).sort()).toEqual(['AUTH_PORT', 'REDIS_URL']);
    }
  });

  it('rejects out-of-range values and unsafe bcrypt costs', () => {
    expect(() => loadConfig(gatewayEnv, { GATEWAY_PORT: '70000' })).toThrow(/GATEWAY_PORT/);
    expect(() => loadConfig(authEnv, { BCRYPT_COST: '8' })).toThrow(/BCRYPT_COST: must be at least 10/);
  });

  it('treats empty strings as unset and parses booleans', () => {
    const c = loadConfig(notificationEnv, { NOTIFICATION_PORT: '', RUN_WORKER: 'false', MIGRATE_ON_START: '0' });
    expect(c.NOTIFICATION_PORT).toBe(3003);
    expect(c.RUN_WORKER).toBe(false);
    expect(c.MIGRATE_ON_START).toBe(false);
    expect(() => loadConfig(notificationEnv, { RUN_WORKER: 'maybe' })).toThrow(/RUN_WORKER/);
  });

  it('refuses an unreadable TRUSTED_PROXIES entry, and permissive CORS or a shared cache Redis in production', () => {
    expect(loadConfig(gatewayEnv, { TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8, 192.0.2.1' }).TRUSTED_PROXIES).toContain('fd00::/8');
    expect(() => loadConfig(gatewayEnv, { TRUSTED_PROXIES: '10.0.0.0/8, lb.internal' })).toThrow(
      /TRUSTED_PROXIES: "lb.internal"/,
    );
    expect(() => loadConfig(gatewayEnv, { TRUSTED_PROXIES: '10.0.0.0/40' })).toThrow(/TRUSTED_PROXIES/);
    const prod = {
      NODE_ENV: 'production',
      CACHE_REDIS_URL: 'redis://:pw@cache:6379',
      SUBGRAPH_SHARED_SECRET: 'a'.repeat(32),
    };
    expect(loadConfig(gatewayEnv, prod).CORS_ORIGINS).toBe('');
    expect(() => loadConfig(gatewayEnv, { ...prod, CORS_ORIGINS: 'https://a.example, *' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig(gatewayEnv, { NODE_ENV: 'production' })).toThrow(/CACHE_REDIS_URL/);
    // Production needs the gateway ↔ subgraph signing key, in the gateway and in every subgraph.
    for (const schema of [gatewayEnv, authEnv, notificationEnv])
      expect(() => loadConfig(schema, { ...prod, SUBGRAPH_SHARED_SECRET: '' })).toThrow(/SUBGRAPH_SHARED_SECRET: required/);
    expect(() => loadConfig(notificationEnv, { SUBGRAPH_SHARED_SECRET: 'short' })).toThrow(/at least 32/);
    // Outside production the caches share REDIS_URL and any origin may be allowed.
    expect(loadConfig(gatewayEnv, { CORS_ORIGINS: '*' }).CACHE_REDIS_URL).toBeUndefined();
  });
});
