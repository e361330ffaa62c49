import { z } from 'zod';
import { serviceSchemas } from './schemas.js';

/** One line per variable for the README (the schema's own .describe() wins when present). */
const NOTES: Record<string, string> = {
  NODE_ENV: '`production` turns off Sandbox, introspection and error detail; requires configured signing keys',
  LOG_LEVEL: 'pino level; secrets and health data are always redacted',
  HOST: 'interface to listen on (`0.0.0.0` in containers)',
  REDIS_URL: 'Redis for queues, rate limits and subscription pub/sub (caches: CACHE_REDIS_URL); put the password in the URL',
  REDIS_PREFIX: 'prefix of every Redis key (queues, rate limits, cache, pub/sub)',
  JWT_ISSUER: '`iss` of access tokens (signed by auth, checked everywhere)',
  JWT_AUDIENCE: '`aud` of access tokens',
  AUTH_JWKS_URL: "where the gateway and subgraphs fetch auth's public keys",
  DATABASE_URL: "the subgraph's own database (created and migrated at start)",
  DATABASE_POOL_MAX: 'connections per service',
  MIGRATE_ON_START: 'apply committed migrations at start-up',
  JWT_PRIVATE_KEY: 'PEM private key that signs access tokens (`\\n` escapes allowed)',
  JWT_PRIVATE_KEY_FILE: 'path of that PEM instead',
  KEYS_DIR:
    'auth: active.pem + retired-*.pem; notification: vapid.json. Generated here outside production when no key is configured',
  ACCESS_TOKEN_TTL_SECONDS: 'access token lifetime',
  REFRESH_TOKEN_TTL_SECONDS: 'absolute refresh token lifetime',
  REFRESH_TOKEN_IDLE_SECONDS: 'refresh token idle expiry',
  BCRYPT_COST: 'bcrypt cost factor, 10..15',
  SMTP_URL: 'SMTP relay for email; unset outside production = messages captured as .eml in MAIL_CAPTURE_DIR',
  MAIL_FROM: 'sender of emails',
  MAIL_CAPTURE_DIR: 'where captured emails go in development',
  WHATSAPP_API_URL: 'UltraMsg API base URL',
  SMS_API_URL: 'Twilio API base URL',
  RUN_WORKER: 'run the notification worker inside the notification service',
  WORKER_CONCURRENCY: 'jobs a worker runs at once',
  JOB_ATTEMPTS: 'delivery attempts before a message is FAILED',
  RESERVATION_TTL_MINUTES: 'how long a pharmacy reservation holds stock',
  SUPERGRAPH_PATH: 'composed supergraph SDL (default gateway/supergraph.graphql)',
};

/** Markdown table of every variable: which services read it, its default, and its doc comment. */
export function envTable(): string {
  const rows = new Map<string, { services: string[]; fallback: string; description: string }>();
  for (const [service, schema] of Object.entries(serviceSchemas)) {
    for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const row = rows.get(name) ?? { services: [], fallback: '', description: field.description ?? NOTES[name] ?? '' };
      row.services.push(service);
      const parsed = (field as z.ZodType).safeParse(undefined);
      const value =
        parsed.success && parsed.data !== undefined
          ? String(parsed.data).replace(`${service}_service`, '<service>_service')
          : undefined;
      row.fallback = value !== undefined ? `\`${value}\`` : parsed.success ? '(unset)' : '(required)';
      rows.set(name, row);
    }
  }
  const all = Object.keys(serviceSchemas).length;
  const lines = ['| Variable | Used by | Default | Notes |', '| --- | --- | --- | --- |'];
  for (const [name, r] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      `| \`${name}\` | ${r.services.length === all ? 'all' : r.services.join(', ')} | ${r.fallback} | ${r.description.replaceAll('|', '\\|')} |`,
    );
  }
  return lines.join('\n');
}
