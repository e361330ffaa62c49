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
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, any>;
};
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const APP_SERVICES = ['auth', 'doctor', 'notification', 'pharmacy', 'gateway'] as const;
/** Read by docker/entrypoint.sh, not by a config schema. */
const ENTRYPOINT_ONLY = new Set(['SERVICE']);

describe('docker-compose.yml', () => {
  it('defines the infrastructure and every application service', () => {
    for (const name of ['postgres', 'redis', 'mailpit', ...APP_SERVICES]) expect(compose.services[name]).toBeDefined();
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
    expect(Object.keys(compose.services.gateway.depends_on).sort()).toEqual(['auth', 'doctor', 'notification', 'pharmacy']);
  });

  it('configures Redis as BullMQ needs (no eviction, AOF)', () => {
    const cmd = (compose.services.redis.command as string[]).join(' ');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(cmd).toContain('--appendonly yes');
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
