import { isIP } from 'node:net';
import { z } from 'zod';
import { parseSentinels } from './redis.js';

/**
 * Every environment variable the system reads, per service. main.ts files are the only
 * readers of process.env; they call loadConfig(<service>Env) and pass the typed result on.
 * docs: README.md "Configuration" lists these with their defaults.
 */

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be 0..65535')
    .max(65535, 'must be 0..65535')
    .default(fallback);

const url = (fallback?: string) => {
  const u = z.url({ error: 'must be a URL' });
  return fallback === undefined ? u : u.default(fallback);
};

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(fallback);

const posInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be > 0').default(fallback);

function isSentinelList(value: string): boolean {
  try {
    parseSentinels(value);
    return true;
  } catch {
    return false;
  }
}

export const commonEnv = z.object({
  NODE_ENV: z
    .enum(['development', 'test', 'production'], { error: 'must be development, test or production' })
    .default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_URL: url('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: z
    .string()
    .optional()
    .refine((v) => v === undefined || isSentinelList(v), { error: 'must be host:port[,host:port…]' })
    .describe(
      'Redis Sentinel addresses (host:port,…); when set the master comes from Sentinel and REDIS_URL gives only password and db',
    ),
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster').describe('master name watched by the sentinels'),
  REDIS_SENTINEL_PASSWORD: z.string().optional().describe("the sentinels' own password (requirepass on the sentinels), if any"),
  /** Prefix for every Redis key (queues, rate limits, cache, pub/sub): lets tests and tenants share a Redis. */
  REDIS_PREFIX: z.string().min(1).default('hc'),
  METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe(
      'bearer token for /metrics and the detailed /ready on the public port; without it (or the gateway METRICS_PORT), production hides both',
    ),
  JWT_ISSUER: z.string().min(1).default('healthcare-auth'),
  JWT_AUDIENCE: z.string().min(1).default('healthcare-api'),
  /** Where the gateway and subgraphs fetch auth's public keys. */
  AUTH_JWKS_URL: url('http://127.0.0.1:3001/.well-known/jwks.json'),
  SUBGRAPH_SHARED_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .describe(
      'HMAC key the gateway signs subgraph requests with and subgraphs verify (same value everywhere); required in production, unset = subgraphs accept unsigned requests',
    ),
  // Document limits: the gateway applies them to client documents, every subgraph to what reaches it.
  QUERY_MAX_DEPTH: posInt(12).describe(
    'deepest selection a query may have (HTTP 400 before execution); subgraphs allow one more level for `_entities`',
  ),
  QUERY_MAX_ALIASES: posInt(15).describe('aliases per operation'),
  QUERY_MAX_ROOT_FIELDS: posInt(20).describe('top-level fields per operation (fragments at the root included)'),
  QUERY_MAX_TOKENS: posInt(3000).describe(
    'lexer tokens per document, counted while parsing; subgraphs allow twice as many (planner-added keys)',
  ),
  QUERY_MAX_DIRECTIVES: posInt(20).describe('directives per operation'),
  INTERNAL_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe(
      "shared secret for service-to-service routes (auth's /internal/revocations, same origin as AUTH_JWKS_URL); unset = those routes answer loopback callers only",
    ),
  REVOCATION_POLL_SECONDS: posInt(5).describe(
    'while Redis pub/sub is down (or before the first load), re-read the token revocation markers from auth this often: the bound on a password change taking effect during a Redis outage',
  ),
});

/** Production refuses to start a gateway or subgraph without the gateway ↔ subgraph signing key. */
const requireSharedSecret = (env: { NODE_ENV: string; SUBGRAPH_SHARED_SECRET?: string }, ctx: z.RefinementCtx) => {
  if (env.NODE_ENV === 'production' && !env.SUBGRAPH_SHARED_SECRET)
    ctx.addIssue({
      code: 'custom',
      path: ['SUBGRAPH_SHARED_SECRET'],
      message: 'required in production (subgraphs refuse requests the gateway did not sign)',
    });
};

const subgraphEnv = (name: string) =>
  commonEnv.extend({
    DATABASE_URL: url(`postgres://postgres@127.0.0.1:5432/${name}_service`),
    DATABASE_POOL_MAX: posInt(10),
    RETENTION_INTERVAL_SECONDS: posInt(3600).describe('how often each subgraph prunes rows past their retention age'),
    RETENTION_OUTBOX_DAYS: posInt(7).describe('days a published outbox row (message variables, event data) is kept'),
    /** Apply committed migrations at start-up (off when a deploy step runs `npm run migrate`). */
    MIGRATE_ON_START: bool(true),
    SUBGRAPH_WORKERS: z
      .union([z.literal('auto'), z.coerce.number().int().min(1, 'must be >= 1 or auto')])
      .default(1)
      .describe('processes of this subgraph (node:cluster, one migrator); `auto` = one per core'),
    RECONCILE_INTERVAL_SECONDS: posInt(60).describe(
      'how often the reconciler re-enqueues jobs Redis lost (outbox rows, QUEUED notifications); one runner per database',
    ),
    RECONCILE_MIN_AGE_SECONDS: posInt(60).describe('work younger than this is not checked (its job may still be on its way)'),
    RECONCILE_WINDOW_SECONDS: posInt(6 * 3600).describe(
      'how long published outbox rows (scheduled messages: past their sendAt) are checked for a lost job; keep below a day',
    ),
    DB_STATEMENT_SAMPLES_FILE: z
      .string()
      .min(1)
      .optional()
      .describe(
        'benchmarks only (`npm run bench:mixed`): at exit, write every distinct request SQL statement with its count and one sample of its parameters (real data) to this file; unset in production',
      ),
  });

export const authEnv = subgraphEnv('auth')
  .extend({
    AUTH_PORT: port(3001),
    /** PEM private key(s) for signing access tokens; in development a key pair is generated into KEYS_DIR. */
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_PRIVATE_KEY_FILE: z.string().optional(),
    KEYS_DIR: z.string().default('.keys'),
    ACCESS_TOKEN_TTL_SECONDS: posInt(900),
    REFRESH_TOKEN_TTL_SECONDS: posInt(7 * 24 * 3600),
    REFRESH_TOKEN_IDLE_SECONDS: posInt(3 * 24 * 3600),
    BCRYPT_COST: z.coerce.number().int().min(10, 'must be at least 10').max(15, 'must be at most 15').default(12),
    PASSWORD_HASH_CONCURRENCY: z
      .union([z.literal('auto'), z.coerce.number().int().min(1, 'must be >= 1 or auto')])
      .default('auto')
      .describe(
        'bcrypt operations one auth process runs at once (docs/auth.md); `auto` = cores − 1, at least 1, shared among SUBGRAPH_WORKERS',
      ),
    PASSWORD_HASH_QUEUE: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be >= 0')
      .optional()
      .describe(
        'requests waiting for a bcrypt slot; beyond it SERVICE_UNAVAILABLE at once. Unset = 4 × PASSWORD_HASH_CONCURRENCY',
      ),
    PASSWORD_HASH_QUEUE_WAIT_MS: posInt(2000).describe(
      'longest wait for a bcrypt slot; a request that would wait longer answers SERVICE_UNAVAILABLE (retryAfterSeconds)',
    ),
    /** Attempts per client IP per public auth operation (login, register, ...) per window. */
    AUTH_RATE_LIMIT_IP: posInt(100).describe('login/register/OTP/reset attempts per client IP per operation per window'),
    /** Back-to-back attempts per account (email, phone, user) and client address before the progressive delay (docs/auth.md). */
    AUTH_RATE_LIMIT_ACCOUNT: posInt(10).describe('attempts per account and address before the progressive delay (docs/auth.md)'),
    AUTH_RATE_LIMIT_WINDOW_SECONDS: posInt(900).describe('per-IP window of the auth limits; also the longest per-account delay'),
    /** Move auth's outbox rows to BullMQ (off in tests that read the rows themselves). */
    AUTH_OUTBOX_RELAY: bool(true).describe("run auth's outbox relay (messages and user.changed events to BullMQ)"),
    RETENTION_OTP_DAYS: posInt(1).describe('days a one-time code is kept after it expired or was used'),
    RETENTION_REFRESH_TOKEN_DAYS: posInt(30).describe('days a refresh token is kept after it expired or was revoked'),
    CARE_ACCESS_DAYS: posInt(90).describe("days after a patient's last visit that staff keep access to their health data"),
  })
  .superRefine(requireSharedSecret);

export const doctorEnv = subgraphEnv('doctor')
  .extend({
    DOCTOR_PORT: port(3002),
    PATIENT_MAX_UPCOMING_APPOINTMENTS: posInt(10).describe(
      'pending or confirmed future appointments one patient may hold (CONFLICT `LIMIT_REACHED` beyond)',
    ),
    /** How long a freed slot is held for the waitlisted patient it was offered to; fractional values (0.05 = 3 s) serve expiry tests. */
    WAITLIST_OFFER_MINUTES: z.coerce
      .number({ error: 'must be a number' })
      .positive('must be > 0')
      .max(1440, 'must be at most 1440')
      .default(15)
      .describe('how long a freed slot is held for the waitlisted patient it was offered to'),
    DOCUMENT_STORE: z
      .enum(['local', 's3'], { error: 'must be local or s3' })
      .default('local')
      .describe("where doctors' ID cards and licenses go: `local` disk (served by the doctor subgraph) or `s3`"),
    DOCUMENTS_DIR: z.string().default('.data/documents').describe('local store: directory of uploaded documents'),
    DOCUMENTS_PUBLIC_URL: url()
      .optional()
      .describe("local store: the doctor subgraph's address as clients reach it (signed URLs); default http://HOST:DOCTOR_PORT"),
    DOCUMENTS_URL_SECRET: z
      .string()
      .min(32, 'must be at least 32 characters')
      .optional()
      .describe('local store: HMAC key of signed document URLs; required in production, generated into DOCUMENTS_DIR otherwise'),
    DOCUMENT_MAX_BYTES: posInt(10 * 1024 * 1024).describe('largest document a doctor may upload'),
    DOCUMENT_URL_TTL_SECONDS: posInt(300).describe('lifetime of signed upload and download URLs'),
    S3_BUCKET: z.string().optional().describe('s3 store: bucket (required with DOCUMENT_STORE=s3)'),
    S3_REGION: z.string().default('us-east-1').describe('s3 store: region'),
    S3_ENDPOINT: url().optional().describe('s3 store: endpoint of an S3-compatible service (MinIO, R2, ...); unset = AWS'),
    S3_FORCE_PATH_STYLE: bool(false).describe('s3 store: path-style URLs (most S3-compatible services)'),
    S3_ACCESS_KEY_ID: z.string().optional().describe("s3 store: access key; unset = the SDK's default credential chain"),
    S3_SECRET_ACCESS_KEY: z.string().optional().describe('s3 store: secret key (with S3_ACCESS_KEY_ID)'),
  })
  .superRefine(requireSharedSecret);
export const notificationEnv = subgraphEnv('notification')
  .extend({
    NOTIFICATION_PORT: port(3003),
    RETENTION_NOTIFICATION_DAYS: posInt(90).describe('days a finished message keeps its recipient address and provider error'),
    SMTP_URL: z.string().optional(),
    MAIL_FROM: z.string().default('Healthcare <no-reply@healthcare.local>'),
    MAIL_CAPTURE_DIR: z.string().default('.mail'),
    WHATSAPP_API_URL: url('https://api.ultramsg.com'),
    WHATSAPP_INSTANCE_ID: z.string().optional(),
    WHATSAPP_TOKEN: z.string().optional(),
    SMS_API_URL: url('https://api.twilio.com'),
    TWILIO_ACCOUNT_SID: z.string().optional(),
    TWILIO_AUTH_TOKEN: z.string().optional(),
    TWILIO_FROM: z.string().optional(),
    /** Public URL of POST /webhooks/twilio/status as Twilio calls it (signed); unset = no delivery receipts for SMS. */
    TWILIO_STATUS_CALLBACK_URL: url().optional(),
    /** SMTP TLS: refuse self-signed certificates (false only for a local relay); require STARTTLS. */
    SMTP_TLS_REJECT_UNAUTHORIZED: bool(true),
    SMTP_REQUIRE_TLS: bool(false),
    /** Give up on a provider call after this long (the attempt is retried). */
    PROVIDER_TIMEOUT_MS: posInt(10_000),
    RUN_WORKER: bool(true),
    WORKER_CONCURRENCY: posInt(5),
    /** Attempts per message before FAILED; at most @hc/jobs NOTIFICATION_MAX_ATTEMPTS (25). */
    JOB_ATTEMPTS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(1, 'must be >= 1')
      .max(25, 'must be at most 25')
      .default(5),
    /** First retry delay; doubles per attempt (exponential backoff with jitter). */
    JOB_BACKOFF_MS: posInt(2_000),
    /** BullMQ job lock: a worker that dies mid-job has its job picked up again after about this long. */
    WORKER_LOCK_MS: posInt(30_000),
    VAPID_PUBLIC_KEY: z
      .string()
      .optional()
      .describe(
        'Web Push VAPID public key (base64url, as browsers take it); outside production generated into KEYS_DIR/vapid.json when unset',
      ),
    VAPID_PRIVATE_KEY: z
      .string()
      .optional()
      .describe('Web Push VAPID private key (base64url); set together with VAPID_PUBLIC_KEY'),
    VAPID_SUBJECT: z
      .string()
      .regex(/^(mailto:|https:\/\/)/, 'must be a mailto: or https:// URL')
      .default('mailto:no-reply@healthcare.local')
      .describe('contact the push services may use (VAPID `sub`)'),
    KEYS_DIR: z.string().default('.keys'),
  })
  .superRefine(requireSharedSecret);
export const pharmacyEnv = subgraphEnv('pharmacy')
  .extend({
    PHARMACY_PORT: port(3004),
    /** How long reserveItems holds stock; fractional values (e.g. 0.05 = 3 s) serve tests of expiry. */
    RESERVATION_TTL_MINUTES: z.coerce.number({ error: 'must be a number' }).positive('must be > 0').default(120),
    PATIENT_MAX_ACTIVE_RESERVATIONS: posInt(5).describe(
      'active (unexpired, unconsumed) reservations one patient may hold (CONFLICT `LIMIT_REACHED` beyond)',
    ),
    PATIENT_MAX_RESERVED_UNITS: posInt(50).describe("units across one patient's active reservations"),
  })
  .superRefine(requireSharedSecret);

const gatewayFields = commonEnv.extend({
  GATEWAY_PORT: port(3000),
  AUTH_URL: url('http://127.0.0.1:3001/graphql'),
  DOCTOR_URL: url('http://127.0.0.1:3002/graphql'),
  NOTIFICATION_URL: url('http://127.0.0.1:3003/graphql'),
  PHARMACY_URL: url('http://127.0.0.1:3004/graphql'),
  /** Path of the composed supergraph SDL (built by `npm run compose`). */
  SUPERGRAPH_PATH: z.string().optional(),
  CORS_ORIGINS: z
    .string()
    .default('')
    .describe(
      'browser origins allowed to call the gateway, comma-separated (`*` = any, refused in production); empty = same origin only',
    ),
  QUERY_MAX_COST: posInt(20_000).describe('cost limit: 1 per field, children times `first` on paged lists'),
  QUERY_LIST_SIZE: posInt(10).describe('items assumed for a list without `first` in the cost'),
  QUERY_MAX_COST_NODES: posInt(10_000).describe(
    'selections the cost walk may visit (fragments count at every spread); beyond it the query is refused',
  ),
  APQ_MAX_BYTES: posInt(16_384).describe('largest document (comments included) stored as an automatic persisted query'),
  CACHE_REDIS_URL: url()
    .optional()
    .describe('Redis for the APQ store and the response cache (maxmemory + allkeys-lru); default REDIS_URL outside production'),
  APQ_TTL_SECONDS: posInt(24 * 3600).describe('how long automatic persisted queries stay in the cache Redis'),
  PERSISTED_QUERIES_SAFELIST: z
    .string()
    .optional()
    .describe('JSON operation manifest; when set only the operations it lists run (safelist mode)'),
  RESPONSE_CACHE: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .optional()
    .describe('Redis response cache for anonymous public reads; default on, off when NODE_ENV=test'),
  RESPONSE_CACHE_MAX_AGE_SECONDS: posInt(30).describe('upper bound of any cached response age'),
  SUBGRAPH_MAX_SOCKETS: posInt(64).describe('keep-alive sockets per subgraph (requests beyond queue)'),
  SUBGRAPH_DEDUPE: bool(true).describe('identical queries in flight share one subgraph request'),
  QUERY_PLAN_CACHE_MIB: posInt(30).describe('approximate size of the query-plan cache'),
  WS_MAX_PAYLOAD_BYTES: posInt(65_536).describe('largest WebSocket message the gateway accepts (close 1009 beyond)'),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: posInt(10).describe('active subscriptions per WebSocket'),
  WS_MAX_SUBSCRIPTIONS_PER_USER: posInt(25).describe(
    'active subscriptions per signed-in user across their sockets (per gateway process)',
  ),
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .describe('CIDRs of proxies whose X-Forwarded-For is believed, comma-separated; empty = the socket peer is the client'),
  RATE_LIMIT_ENABLED: bool(true).describe('per-address and per-user request rate limits at the gateway'),
  RATE_LIMIT_IP_PER_SECOND: posInt(50).describe('sustained requests per second per client address (IPv6 per /64)'),
  RATE_LIMIT_IP_BURST: posInt(500).describe('extra requests per client address allowed in a burst window'),
  RATE_LIMIT_USER_PER_SECOND: posInt(25).describe('sustained requests per second per signed-in user'),
  RATE_LIMIT_USER_BURST: posInt(250).describe('extra requests per signed-in user allowed in a burst window'),
  RATE_LIMIT_BURST_WINDOW_SECONDS: posInt(10).describe('window over which the burst allowance refills'),
  METRICS_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be 0..65535')
    .max(65535, 'must be 0..65535')
    .optional()
    .describe('serve /metrics and the detailed /ready on this port (same HOST) instead of the public one'),
  GATEWAY_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1, 'must be >= 1 or auto')])
    .default(1)
    .describe('gateway processes (node:cluster); `auto` = one per core'),
  OTEL_TRACING: bool(false).describe("export Apollo Gateway's OpenTelemetry spans over OTLP/HTTP"),
  OTEL_EXPORTER_OTLP_ENDPOINT: url('http://127.0.0.1:4318').describe('OTLP/HTTP collector base URL'),
});

/** Checks beyond one field's type: TRUSTED_PROXIES entries; production refuses `*` origins and a shared cache Redis. */
export const gatewayEnv = gatewayFields.superRefine((env, ctx) => {
  for (const entry of env.TRUSTED_PROXIES.split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [addr, bits, extra] = entry.split('/');
    const version = isIP(addr.replace(/^::ffff:(?=\d+\.)/i, ''));
    const max = version === 4 ? 32 : 128;
    if (!version || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max)))
      ctx.addIssue({ code: 'custom', path: ['TRUSTED_PROXIES'], message: `"${entry}" is not an address or CIDR` });
  }
  requireSharedSecret(env, ctx);
  if (env.NODE_ENV !== 'production') return;
  if (env.CORS_ORIGINS.split(',').some((o) => o.trim() === '*'))
    ctx.addIssue({ code: 'custom', path: ['CORS_ORIGINS'], message: '`*` is not allowed in production: list the origins' });
  if (!env.CACHE_REDIS_URL)
    ctx.addIssue({
      code: 'custom',
      path: ['CACHE_REDIS_URL'],
      message: 'required in production (a Redis with maxmemory and allkeys-lru, not the job Redis)',
    });
});

export type CommonConfig = z.infer<typeof commonEnv>;
export type AuthConfig = z.infer<typeof authEnv>;
export type DoctorConfig = z.infer<typeof doctorEnv>;
export type NotificationConfig = z.infer<typeof notificationEnv>;
export type PharmacyConfig = z.infer<typeof pharmacyEnv>;
export type GatewayConfig = z.infer<typeof gatewayEnv>;

/** Every service's schema by name; the compose-file test checks docker-compose env names against these. */
export const serviceSchemas = {
  auth: authEnv,
  doctor: doctorEnv,
  notification: notificationEnv,
  pharmacy: pharmacyEnv,
  gateway: gatewayEnv,
} as const;
