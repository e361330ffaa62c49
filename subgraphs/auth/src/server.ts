import { createHmac } from 'node:crypto';
import { authEnv, type AuthConfig } from '@hc/config';
import { StaticKeyResolver, type RevocationCache } from '@hc/auth';
import { QUEUES } from '@hc/jobs';
import { workerCount, type SubgraphDefinition } from '@hc/service';
import { buildAuthSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { KeyStore } from './modules/keys/key-store.js';
import { jwksRoute } from './modules/keys/jwks.route.js';
import { TokenService } from './modules/tokens/token.service.js';
import { publishRevocation, readRevocations, revocationsRoute } from './modules/tokens/revocations.js';
import { OtpService } from './modules/otp/otp.service.js';
import { PasswordHasher } from './modules/password/password.js';
import { HashGate, hashConcurrency } from './modules/password/hash-gate.js';
import { AuthRateLimiter } from './modules/rate-limit/rate-limit.js';
import { applyCareEvent } from './modules/care/care.consumer.js';
import { auditRecordedHandler } from './modules/audit/audit.consumer.js';
import { authRetention } from './retention.js';
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
  outboxRelay: { flag: 'AUTH_OUTBOX_RELAY' },
  consumes: [
    {
      queue: QUEUES.authEvents,
      handlers: {
        'care.changed': (event, { orm, config }) => applyCareEvent(orm, event, config.CARE_ACCESS_DAYS),
        'audit.recorded': (_event, { orm, job }) => auditRecordedHandler(orm)(job),
      },
    },
  ],
  retention: authRetention,
  jwksPath: '/.well-known/jwks.json',
  createRuntime: async (config, { orm, redis, logger, metrics }) => {
    let revocations: RevocationCache | undefined;
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
    // bcrypt is the one CPU-heavy step of auth: bounded, so logins never starve everything else.
    const concurrency = hashConcurrency(config.PASSWORD_HASH_CONCURRENCY, workerCount(config.SUBGRAPH_WORKERS));
    const hashGate: HashGate = new HashGate({
      concurrency,
      queue: config.PASSWORD_HASH_QUEUE ?? 4 * concurrency,
      maxWaitMs: config.PASSWORD_HASH_QUEUE_WAIT_MS,
      metrics: metrics.gate('password_hash', 'password hash operations (bcrypt)', () => hashGate.stats()),
    });
    const services: AuthServices = {
      tokens: new TokenService(keys, {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
        refreshIdleSeconds: config.REFRESH_TOKEN_IDLE_SECONDS,
      }),
      otp: new OtpService(otpPepper),
      passwords: new PasswordHasher(config.BCRYPT_COST, hashGate),
      limiter: new AuthRateLimiter({
        redis,
        prefix: config.REDIS_PREFIX,
        perIp: config.AUTH_RATE_LIMIT_IP,
        perAccount: config.AUTH_RATE_LIMIT_ACCOUNT,
        windowSeconds: config.AUTH_RATE_LIMIT_WINDOW_SECONDS,
      }),
      // users.tokens_valid_after (written by the caller) is the truth; this makes it take effect
      // here at once and elsewhere by pub/sub, or by their poll when Redis is down.
      revokeAccessTokens: async (userId, validAfter) => {
        revocations?.apply({ userId, validAfter });
        await publishRevocation(redis, config.REDIS_PREFIX, { userId, validAfter }, logger);
      },
    };
    const { schema } = await buildAuthSchema();
    return {
      schema,
      routes: (app) => {
        jwksRoute(keys)(app);
        revocationsRoute(orm, { secret: config.INTERNAL_SECRET, windowSeconds: config.ACCESS_TOKEN_TTL_SECONDS })(app);
      },
      // auth verifies with its own keys; the other services fetch them from the JWKS route.
      tokenKeys: new StaticKeyResolver(keys.jwks().keys),
      // auth reads its own database; the others ask /internal/revocations.
      revocationSource: (since) => readRevocations(orm, since, config.ACCESS_TOKEN_TTL_SECONDS),
      onRevocationCache: (cache) => {
        revocations = cache;
      },
      buildContext: (base) => ({
        ...base,
        em: orm.em.fork(),
        services,
        // Only the gateway's signed header or the socket peer: a client-sent X-Forwarded-For never counts.
        clientIp: base.clientAddress,
        provenUserIds: new Set<string>(),
      }),
    };
  },
};
