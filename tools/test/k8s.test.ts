// deploy/k8s rendered by `kubectl kustomize` (offline) for both overlays: every object checked
// against the Kubernetes OpenAPI schemas (kubernetes-models) and the CloudNativePG CRD schemas
// (@kubernetes-models/cloudnative-pg), then the deployment rules docs/deployment.md promises.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { serviceSchemas } from '@hc/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const k8s = path.join(root, 'deploy/k8s');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any };

function render(dir: string): Obj[] {
  const out = execFileSync('kubectl', ['kustomize', path.join(k8s, dir)], { encoding: 'utf8', maxBuffer: 32 << 20 });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

/** The model class of an object: kubernetes-models for built-in kinds, the CNPG package for its CRDs. */
async function modelOf(o: Obj): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const mod =
    group === 'postgresql.cnpg.io'
      ? await import(`@kubernetes-models/cloudnative-pg/${group}/${version}/${o.kind}`)
      : await import(group ? `kubernetes-models/${group}/${version}/${o.kind}` : `kubernetes-models/${version}/${o.kind}`);
  return mod[o.kind];
}

/**
 * kustomize wraps long base64 values of generated Secrets over several lines; the API server's
 * decoder skips those newlines, the schema's "byte" format does not.
 */
const withUnwrappedSecretData = (o: Obj): Obj =>
  o.kind === 'Secret' && o.data
    ? {
        ...o,
        data: Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')])),
      }
    : o;

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> = {}) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

const workloads = (objs: Obj[]) => objs.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
const podSpec = (w: Obj) => w.spec.template.spec;
const allContainers = (w: Obj): any[] => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];
const envOf = (c: any, name: string) => c.env?.find((e: any) => e.name === name);

/** What the app reads (shared/config) plus the variables other branches are adding right now. */
const KNOWN_ENV = new Set([
  ...Object.values(serviceSchemas).flatMap((s) => Object.keys(s.shape)),
  'SERVICE', // docker/entrypoint.sh: which service this container runs
  'SUBGRAPH_SHARED_SECRET', // gateway → subgraph request signing
  'REDIS_SENTINELS', // Redis through Sentinel
  'REDIS_SENTINEL_NAME',
]);
const APP_IMAGE = /healthcare-backend/;
const APP_SHUTDOWN_SECONDS = 15; // run.ts / gateway main.ts: hard exit 15 s after SIGTERM

const overlays = { dev: render('overlays/dev'), production: render('overlays/production') };

describe.each(Object.entries(overlays))('deploy/k8s overlay %s', (_name, objs) => {
  it('renders objects that all validate against their Kubernetes / CloudNativePG schemas', async () => {
    expect(objs.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const o of objs) {
      try {
        const Model = await modelOf(o);
        new Model(withUnwrappedSecretData(o)).validate();
      } catch (error) {
        problems.push(`${o.kind}/${o.metadata.name}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs the gateway, the four subgraphs and the notification worker as Deployments with Services where they serve', () => {
    const deployments = objs.filter((o) => o.kind === 'Deployment').map((d) => d.metadata.name);
    expect(deployments.sort()).toEqual(['auth', 'doctor', 'gateway', 'notification', 'notification-worker', 'pharmacy']);
    const services = objs.filter((o) => o.kind === 'Service').map((s) => s.metadata.name);
    for (const s of ['gateway', 'auth', 'doctor', 'notification', 'pharmacy']) expect(services).toContain(s);
    // The worker is in no Service: it only consumes jobs.
    for (const svc of objs.filter((o) => o.kind === 'Service')) {
      expect(svc.spec.selector['app.kubernetes.io/name']).not.toBe('notification-worker');
    }
    const api = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'notification')!;
    const worker = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'notification-worker')!;
    expect(envOf(podSpec(api).containers[0], 'RUN_WORKER').value).toBe('false');
    expect(envOf(podSpec(worker).containers[0], 'RUN_WORKER').value).toBe('true');
  });

  it('gives every container probes (app: startup+liveness on /health, readiness on /ready), requests and limits', () => {
    for (const w of workloads(objs)) {
      for (const c of podSpec(w).containers) {
        const where = `${w.kind}/${w.metadata.name}/${c.name}`;
        for (const r of ['requests', 'limits']) {
          expect([where, r, c.resources?.[r]?.cpu && c.resources?.[r]?.memory ? 'set' : 'missing']).toEqual([where, r, 'set']);
        }
        if (w.kind === 'Job') continue; // runs to completion: nothing to probe
        for (const p of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect([where, p, !!c[p]]).toEqual([where, p, true]);
        if (APP_IMAGE.test(c.image)) {
          expect([where, c.startupProbe.httpGet?.path, c.livenessProbe.httpGet?.path, c.readinessProbe.httpGet?.path]).toEqual([
            where,
            '/health',
            '/health',
            '/ready',
          ]);
        }
      }
    }
  });

  it('runs every container non-root, read-only root filesystem, no privilege escalation, all capabilities dropped', () => {
    for (const w of workloads(objs)) {
      const pod = podSpec(w);
      expect([w.metadata.name, pod.securityContext?.runAsNonRoot]).toEqual([w.metadata.name, true]);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of allContainers(w)) {
        const sc = c.securityContext ?? {};
        expect([
          w.metadata.name,
          c.name,
          sc.runAsNonRoot,
          sc.allowPrivilegeEscalation,
          sc.readOnlyRootFilesystem,
          sc.capabilities?.drop,
        ]).toEqual([w.metadata.name, c.name, true, false, true, ['ALL']]);
        // Every writable path is a volume (emptyDir or PVC), /tmp at least for the app.
        if (APP_IMAGE.test(c.image)) expect(c.volumeMounts.map((m: any) => m.mountPath)).toContain('/tmp');
      }
    }
  });

  it('matches every Deployment and StatefulSet with a PodDisruptionBudget and a NetworkPolicy of its own', () => {
    const pdbs = objs.filter((o) => o.kind === 'PodDisruptionBudget');
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    for (const w of objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
      const labels = w.spec.template.metadata.labels;
      expect([w.metadata.name, pdbs.filter((p) => matches(p.spec.selector.matchLabels, labels)).length]).toEqual([
        w.metadata.name,
        1,
      ]);
      expect([w.metadata.name, policies.some((p) => matches(p.spec.podSelector.matchLabels, labels))]).toEqual([
        w.metadata.name,
        true,
      ]);
    }
    // ... under a namespace-wide default deny.
    expect(
      policies.some(
        (p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.policyTypes.includes('Ingress') && !p.spec.ingress,
      ),
    ).toBe(true);
  });

  it('lets only the gateway reach the subgraphs (auth also serves its JWKS to services) and only services reach PostgreSQL and Redis', () => {
    const policy = (name: string) => objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name)!;
    for (const s of ['doctor', 'pharmacy', 'notification']) {
      const peers = policy(s).spec.ingress.flatMap((r: any) => r.from);
      expect(peers).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gateway' } } }]);
    }
    const authPeers = policy('auth').spec.ingress.flatMap((r: any) => r.from.map((p: any) => p.podSelector.matchLabels));
    expect(authPeers).toContainEqual({ 'app.kubernetes.io/name': 'gateway' });
    expect(authPeers.every((l: any) => l['app.kubernetes.io/name'] === 'gateway' || l['app.kubernetes.io/component'])).toBe(true);
    // The gateway pods carry no database label: they never reach PostgreSQL.
    const gateway = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!;
    expect(gateway.spec.template.metadata.labels['healthcare.io/db-client']).toBeUndefined();
    const dbPeers = [...policy('postgres').spec.ingress, ...policy('pg-pooler').spec.ingress].flatMap((r: any) => r.from);
    for (const p of dbPeers) {
      const l = p.podSelector?.matchLabels ?? {};
      const ok =
        l['healthcare.io/db-client'] === 'true' || l['cnpg.io/poolerName'] || l['cnpg.io/cluster'] || p.namespaceSelector;
      expect([JSON.stringify(p), !!ok]).toEqual([JSON.stringify(p), true]);
    }
    const redisPeers = policy('redis').spec.ingress.flatMap((r: any) => r.from.map((p: any) => p.podSelector.matchLabels));
    expect(redisPeers).toEqual([{ 'healthcare.io/redis-client': 'true' }, { 'app.kubernetes.io/name': 'redis' }]);
  });

  it('autoscales the gateway and the four subgraphs with HPAs that target existing Deployments', () => {
    const hpas = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['auth', 'doctor', 'gateway', 'notification', 'pharmacy']);
    for (const h of hpas) {
      expect(objs.some((o) => o.kind === 'Deployment' && o.metadata.name === h.spec.scaleTargetRef.name)).toBe(true);
      expect(h.spec.maxReplicas).toBeGreaterThan(h.spec.minReplicas);
    }
  });

  it('migrates in a Job (MIGRATE_ON_START=false in the pods) and drains within terminationGracePeriodSeconds', () => {
    const common = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('healthcare-common'))!;
    expect(common.data.MIGRATE_ON_START).toBe('false');
    for (const d of objs.filter((o) => o.kind === 'Deployment')) {
      const c = podSpec(d).containers[0];
      expect(c.envFrom).toContainEqual({ configMapRef: { name: common.metadata.name } });
      expect(envOf(c, 'MIGRATE_ON_START')).toBeUndefined();
      // preStop delay (endpoints leave the load balancers) + the app's own shutdown fit the grace period.
      const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(podSpec(d).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + APP_SHUTDOWN_SECONDS + 5);
      if (d.spec.template.metadata.labels['app.kubernetes.io/component'] === 'api') expect(preStop).toBeGreaterThanOrEqual(5);
    }
    const job = objs.find((o) => o.kind === 'Job')!;
    expect(job.metadata.name).toMatch(/^migrate-/);
    expect(podSpec(job).containers.map((c: any) => c.command.slice(-3).join(' '))).toEqual(
      ['auth', 'doctor', 'notification', 'pharmacy'].map((s) => `${s} migrate up`),
    );
  });

  it('uses only environment variables the services know, and every referenced Secret/ConfigMap key source is named', () => {
    for (const w of workloads(objs)) {
      for (const c of allContainers(w).filter((x) => APP_IMAGE.test(x.image))) {
        for (const e of c.env ?? [])
          expect([w.metadata.name, e.name, KNOWN_ENV.has(e.name)]).toEqual([w.metadata.name, e.name, true]);
      }
    }
    const common = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('healthcare-common'))!;
    for (const k of Object.keys(common.data)) expect([k, KNOWN_ENV.has(k)]).toEqual([k, true]);
    expect(common.data.REDIS_SENTINELS.split(',')).toHaveLength(3);
    expect(common.data.REDIS_SENTINEL_NAME).toBeTruthy();
  });

  it('runs PostgreSQL as a replicated CloudNativePG cluster with the four databases and Redis with three sentinels', () => {
    const cluster = objs.find((o) => o.kind === 'Cluster')!;
    const dbs = [cluster.spec.bootstrap.initdb.database, ...objs.filter((o) => o.kind === 'Database').map((d) => d.spec.name)];
    expect(dbs.sort()).toEqual(['auth_service', 'doctor_service', 'notification_service', 'pharmacy_service']);
    expect(objs.some((o) => o.kind === 'Pooler' && o.spec.pgbouncer.poolMode === 'transaction')).toBe(true);
    const redis = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'redis')!;
    expect(redis.spec.replicas).toBe(3);
    expect(podSpec(redis).containers.map((c: any) => c.name)).toEqual(['redis', 'sentinel']);
  });
});

describe('deploy/k8s secrets', () => {
  it('the base references Secrets but holds no Secret values', () => {
    const base = render('base');
    expect(base.filter((o) => o.kind === 'Secret')).toEqual([]);
    const text = JSON.stringify(base);
    expect(text).toContain('secretKeyRef');
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|postgres:\/\/[^"]*:[^"@]+@/);
  });

  it('production carries no Secret objects at all; dev generates every Secret its pods reference', () => {
    expect(overlays.production.filter((o) => o.kind === 'Secret')).toEqual([]);
    const dev = overlays.dev;
    const secrets = new Set(dev.filter((o) => o.kind === 'Secret').map((s) => s.metadata.name));
    const referenced = new Set<string>();
    for (const w of workloads(dev)) {
      for (const c of allContainers(w)) {
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef && !e.valueFrom.secretKeyRef.optional) referenced.add(e.valueFrom.secretKeyRef.name);
      }
      for (const v of podSpec(w).volumes ?? []) if (v.secret) referenced.add(v.secret.secretName);
    }
    expect(referenced.size).toBeGreaterThan(3);
    for (const name of referenced) expect([name, secrets.has(name)]).toEqual([name, true]);
  });
});
