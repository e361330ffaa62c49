// No Docker engine runs in CI: this reads docker-compose.yml and the Dockerfile and checks what
// can be checked without one — env names against the config schemas, referenced paths,
// healthchecks and start order, Redis settings BullMQ needs.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { serviceSchemas } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** KEY=value lines of .env.example: what an operator's .env must define. */
const envExample = Object.fromEntries(
  readFileSync(path.join(root, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error} (fails when unset), $$ = $. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::([?-])([^}]*))?\}/g, (whole, name?: string, op?: string, arg?: string) => {
    if (whole === '$$') return '$';
    const value = vars[name!];
    if (value !== undefined && value !== '') return value;
    if (op === '?') throw new Error(`docker-compose.yml needs ${name}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const composeText = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(interpolate(composeText, envExample), { merge: true }) as {
  services: Record<string, any>;
};
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const APP_SERVICES = ['auth', 'doctor', 'notification', 'pharmacy', 'gateway'] as const;
/** Read by docker/entrypoint.sh, not by a config schema. */
const ENTRYPOINT_ONLY = new Set(['SERVICE']);

describe('docker-compose.yml', () => {
  it('defines the infrastructure and every application service', () => {
    for (const name of ['postgres', 'redis', 'cache-redis', 'mailpit', ...APP_SERVICES])
      expect(compose.services[name]).toBeDefined();
  });

  it.each(APP_SERVICES)('%s: every environment variable is one its config schema reads', (name) => {
    const env = compose.services[name].environment as Record<string, unknown>;
    const known = new Set(Object.keys(serviceSchemas[name].shape));
    const unknown = Object.keys(env).filter((k) => !known.has(k) && !ENTRYPOINT_ONLY.has(k));
    expect(unknown).toEqual([]);
    expect(env.SERVICE).toBe(name);
    // The values themselves must pass the schema (e.g. ports are numbers, URLs are URLs).
    const values = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
    expect(() => serviceSchemas[name].parse(values)).not.toThrow();
  });

  it('points each subgraph at its own database and the gateway at every subgraph', () => {
    for (const name of ['auth', 'doctor', 'notification', 'pharmacy']) {
      expect(compose.services[name].environment.DATABASE_URL).toMatch(new RegExp(`/${name}_service$`));
    }
    const gw = compose.services.gateway.environment;
    expect([gw.AUTH_URL, gw.DOCTOR_URL, gw.NOTIFICATION_URL, gw.PHARMACY_URL]).toEqual([
      'http://auth:3001/graphql',
      'http://doctor:3002/graphql',
      'http://notification:3003/graphql',
      'http://pharmacy:3004/graphql',
    ]);
  });

  it('starts services only after their dependencies are healthy, and every service has a healthcheck', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.healthcheck?.test).toBeDefined();
      for (const [dep, cond] of Object.entries((svc.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect(compose.services[dep]).toBeDefined();
        expect(`${name}->${dep}:${cond.condition}`).toBe(`${name}->${dep}:service_healthy`);
      }
    }
    expect(Object.keys(compose.services.gateway.depends_on).sort()).toEqual([
      'auth',
      'cache-redis',
      'doctor',
      'notification',
      'pharmacy',
    ]);
  });

  it('configures Redis as BullMQ needs (no eviction, AOF)', () => {
    const cmd = (compose.services.redis.command as string[]).join(' ');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(cmd).toContain('--appendonly yes');
  });

  it('publishes no data port, takes every credential from .env, and protects both Redis servers with a password', () => {
    for (const name of ['postgres', 'redis', 'cache-redis']) expect(compose.services[name].ports).toBeUndefined();
    for (const port of (compose.services.mailpit.ports ?? []) as string[]) expect(port).toMatch(/^127\.0\.0\.1:/);
    // Without a .env, compose stops on the first missing credential instead of using a default.
    expect(() => interpolate(composeText, {})).toThrow(/needs POSTGRES_USER|needs POSTGRES_PASSWORD|needs REDIS_PASSWORD/);
    expect(composeText).not.toMatch(/postgres:postgres@|POSTGRES_PASSWORD: postgres/);
    const redisCmd = (compose.services.redis.command as string[]).join(' ');
    expect(redisCmd).toContain(`--requirepass ${envExample.REDIS_PASSWORD}`);
    for (const name of APP_SERVICES) {
      const env = compose.services[name].environment;
      expect(new URL(env.REDIS_URL).password).toBe(envExample.REDIS_PASSWORD);
      if (env.DATABASE_URL) expect(new URL(env.DATABASE_URL).password).toBe(envExample.POSTGRES_PASSWORD);
    }
  });

  it('keeps caches in their own Redis: bounded memory, LRU eviction, password', () => {
    const cmd = (compose.services['cache-redis'].command as string[]).join(' ');
    expect(cmd).toMatch(/--maxmemory \d+mb/);
    expect(cmd).toContain('--maxmemory-policy allkeys-lru');
    expect(cmd).toContain(`--requirepass ${envExample.CACHE_REDIS_PASSWORD}`);
    const gw = compose.services.gateway.environment;
    expect(new URL(gw.CACHE_REDIS_URL).host).toBe('cache-redis:6379');
    expect(new URL(gw.CACHE_REDIS_URL).password).toBe(envExample.CACHE_REDIS_PASSWORD);
    expect(gw.METRICS_TOKEN.length).toBeGreaterThanOrEqual(16);
  });

  it('references only paths that exist', () => {
    const paths: string[] = [];
    for (const svc of Object.values(compose.services)) {
      if (svc.build) paths.push(path.join(svc.build.context, svc.build.dockerfile ?? 'Dockerfile'));
      for (const v of (svc.volumes ?? []) as string[]) if (v.startsWith('./')) paths.push(v.split(':')[0]);
    }
    for (const line of dockerfile.split('\n')) {
      const m = /^COPY (?!--from)(?:--chown=\S+ )?(.+) \S+$/.exec(line);
      if (m) for (const src of m[1].split(/\s+/)) if (src !== '.') paths.push(src);
    }
    paths.push('docker/entrypoint.sh', 'scripts/register.js');
    const missing = paths.filter((p) => !existsSync(path.join(root, p)));
    expect(missing).toEqual([]);
  });

  it('builds a Node 24 slim image that runs as a non-root user with production dependencies only', () => {
    expect(dockerfile).toMatch(/^FROM node:24-slim AS deps/m);
    expect(dockerfile).toMatch(/^FROM node:24-slim AS runtime/m);
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
    const workspaces = ['gateway', ...['auth', 'doctor', 'notification', 'pharmacy'].map((s) => `subgraphs/${s}`)];
    for (const w of workspaces) expect(dockerfile).toContain(`COPY ${w}/package.json ${w}/`);
  });
});
