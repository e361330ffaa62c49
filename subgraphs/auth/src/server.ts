import { createHmac } from 'node:crypto';
import { authEnv, type AuthConfig } from '@hc/config';
import { createTokenVerifier, redisRevocationCheck, revokeTokensIssuedBefore, StaticKeyResolver } from '@hc/auth';
import { OutboxRelay, reconcileSettings } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildAuthSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { KeyStore } from './modules/keys/key-store.js';
import { jwksRoute } from './modules/keys/jwks.route.js';
import { TokenService } from './modules/tokens/token.service.js';
import { OtpService } from './modules/otp/otp.service.js';
import { PasswordHasher } from './modules/password/password.js';
import { AuthRateLimiter, clientIpRoute, currentClientIp } from './modules/rate-limit/rate-limit.js';
import { careConsumer } from './modules/care/care.consumer.js';
import type { AuthServices, AuthSubgraphContext } from './context.js';

/** The auth subgraph: accounts, tokens, profiles. No env reads here: config comes in. */
export const authSubgraph: SubgraphDefinition<AuthConfig, AuthSubgraphContext> = {
  name: 'auth',
  envSchema: authEnv,
  port: (c) => c.AUTH_PORT,
  entities,
  migrations,
  migrationsDir,
  buildSchema: buildAuthSchema,
  createRuntime: async (config, { orm, redis, logger }) => {
    const keys = KeyStore.load({
      pem: config.JWT_PRIVATE_KEY,
      file: config.JWT_PRIVATE_KEY_FILE,
      dir: config.KEYS_DIR,
      production: config.NODE_ENV === 'production',
    });
    // OTP hashes are keyed with a secret derived from the signing key, so a copy of the table
    // alone cannot be brute-forced over the million possible codes.
    const otpPepper = createHmac('sha256', keys.active.privateKey.export({ format: 'der', type: 'pkcs8' }))
      .update('otp-pepper')
      .digest();
    const services: AuthServices = {
      tokens: new TokenService(keys, {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
        refreshIdleSeconds: config.REFRESH_TOKEN_IDLE_SECONDS,
      }),
      otp: new OtpService(otpPepper),
      passwords: new PasswordHasher(config.BCRYPT_COST),
      limiter: new AuthRateLimiter({
        redis,
        prefix: config.REDIS_PREFIX,
        perIp: config.AUTH_RATE_LIMIT_IP,
        perAccount: config.AUTH_RATE_LIMIT_ACCOUNT,
        windowSeconds: config.AUTH_RATE_LIMIT_WINDOW_SECONDS,
      }),
      revokeAccessTokens: (userId, validAfter) =>
        revokeTokensIssuedBefore(redis, config.REDIS_PREFIX, userId, validAfter, config.ACCESS_TOKEN_TTL_SECONDS),
    };
    const background: { start: () => void | Promise<void>; stop: () => Promise<void> }[] = [
      careConsumer({ orm, redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, logger }),
    ];
    if (config.AUTH_OUTBOX_RELAY) {
      background.push(
        new OutboxRelay({
          orm,
          redisUrl: config.REDIS_URL,
          prefix: config.REDIS_PREFIX,
          logger,
          reconcile: reconcileSettings(config),
        }),
      );
    }
    const { schema } = await buildAuthSchema();
    return {
      schema,
      routes: (app) => {
        jwksRoute(keys)(app);
        clientIpRoute(app);
      },
      background,
      // auth verifies with its own keys; the other services fetch them from the JWKS route.
      verifyToken: createTokenVerifier({
        keys: new StaticKeyResolver(keys.jwks().keys),
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        isRevoked: redisRevocationCheck(redis, config.REDIS_PREFIX),
      }),
      buildContext: (base) => ({
        ...base,
        em: orm.em.fork(),
        services,
        clientIp: currentClientIp(),
        provenUserIds: new Set<string>(),
      }),
    };
  },
};
