// Layering rules (docs/architecture.md): thin resolvers, shared/ below the apps, workspaces joined
// only through package exports. Each failure names file:line and the rule.
import { describe, expect, it } from '@jest/globals';
import {
  checkRepository,
  format,
  importsOf,
  relativeImportViolations,
  resolverViolations,
  sharedManifestViolations,
  sharedViolations,
  sourceFiles,
  workspaces,
} from './architecture.js';

// Import lines built at run time, so this file's own source holds no import the scan would see.
const imp = (name: string, from: string) => ['import', `{ ${name} }`, 'from', `'${from}';`].join(' ');

const WS = ['gateway', 'shared/db', 'shared/testing', 'subgraphs/auth', 'subgraphs/doctor', 'tools'];

describe('the rules catch what they are meant to (synthetic sources)', () => {
  it('flags SQL, transactions and locks in a resolver, with the line', () => {
    const src = [
      "import { lockInOrder } from '@hc/db';", // 1
      '// a comment mentioning .execute( and select x from y is ignored', // 2
      'export class R {', // 3
      '  async a(ctx) { return ctx.em.getConnection().execute(`select id from t where x = ?`, [1]); }', // 4
      '  async b(ctx) { return ctx.em.transactional(async (tx) => tx.flush()); }', // 5
      "  async c(ctx) { await lockInOrder(ctx.em, ['k']); }", // 6
      '  async d(ctx) { return ctx.em.createQueryBuilder(X).getResult(); }', // 7
      "  async e(ctx) { const q = 'insert into t (a) values (1)'; const k = ctx.knex; await conn.begin(); }", // 8
      '  async f(ctx) { return ctx.services.x.run(ctx.user); }', // 9: clean
      "  g() { return 'Select a branch from the list'.length; }", // 10: prose, no SQL shape... but has "select .. from"
      '}',
    ].join('\n');
    const found = resolverViolations('subgraphs/x/src/modules/a/a.resolver.ts', src);
    const lines = [...new Set(found.map((v) => v.line))];
    expect(lines).toEqual(expect.arrayContaining([1, 4, 5, 6, 7, 8]));
    expect(lines).not.toContain(2);
    expect(lines).not.toContain(9);
    expect(found.find((v) => v.line === 4)!.detail).toMatch(/\.execute/);
    expect(found.filter((v) => v.line === 8).map((v) => v.detail)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/raw SQL string/),
        expect.stringMatching(/knex/),
        expect.stringMatching(/begin/),
      ]),
    );
    expect(resolverViolations('subgraphs/x/src/modules/a/a.service.ts', src)).toEqual([]);
  });

  it('flags a shared package importing a subgraph or the gateway, by package or by path', () => {
    const src = [
      "import { x } from '@hc/doctor-subgraph/server';",
      "import { y } from '../../../gateway/src/server.js';",
      "const z = await import('@hc/gateway/server');",
      "import { ok } from '@hc/db';",
      "export * from './local.js';",
    ].join('\n');
    const found = sharedViolations('shared/testing/src/h.ts', src, WS);
    expect(found.map((v) => v.line)).toEqual([1, 2, 3]);
    expect(sharedViolations('subgraphs/auth/src/h.ts', src, WS)).toEqual([]);
    const manifest = '{\n  "dependencies": {\n    "@hc/db": "*",\n    "@hc/auth-subgraph": "*"\n  }\n}';
    expect(sharedManifestViolations('shared/testing/package.json', manifest).map((v) => v.line)).toEqual([4]);
  });

  it("flags a relative import into another workspace's src/, migrations/ or test/, not its own", () => {
    const src = [
      imp('a', '../../subgraphs/auth/src/modules/keys/key-store.ts'),
      imp('m', '../../subgraphs/doctor/migrations/index.ts'),
      imp('s', '../../subgraphs/doctor/test/support.ts'),
      imp('own', './architecture.js'),
      imp('root', '../../scripts/ops/queues.ts'),
      imp('pkg', '@hc/auth-subgraph/admin'),
    ].join('\n');
    const found = relativeImportViolations('tools/test/x.test.ts', src, WS);
    expect(found.map((v) => v.line)).toEqual([1, 2, 3]);
    expect(found[0].detail).toMatch(/subgraphs\/auth\/src\//);
    const inside = [imp('x', '../../test/support.js'), imp('y', '../other/y.js')].join('\n');
    expect(relativeImportViolations('subgraphs/doctor/src/modules/a.test.ts', inside, WS)).toEqual([]);
    expect(relativeImportViolations('scripts/seed.ts', imp('U', '../subgraphs/auth/src/u.ts'), WS)).toHaveLength(1);
  });

  it('reads every import form', () => {
    const src =
      "import a from 'a';\nimport 'b';\nexport { c } from 'c';\nconst d = await import('d');\nimport type {\n  E,\n} from 'e';";
    expect(importsOf(src)).toEqual([
      { specifier: 'a', line: 1 },
      { specifier: 'b', line: 2 },
      { specifier: 'c', line: 3 },
      { specifier: 'd', line: 4 },
      { specifier: 'e', line: 7 },
    ]);
  });
});

describe('the repository keeps the rules', () => {
  const found = checkRepository();

  it('scans every workspace', () => {
    expect(workspaces()).toEqual(
      expect.arrayContaining(['gateway', 'shared/db', 'subgraphs/auth', 'subgraphs/pharmacy', 'tools']),
    );
    expect(sourceFiles().filter((f) => f.endsWith('.resolver.ts')).length).toBeGreaterThan(10);
  });

  it('resolvers run no SQL, open no transaction and take no lock (services do)', () => {
    expect(found['resolver-runs-sql'].map(format)).toEqual([]);
  });

  it('shared/ never imports a subgraph or the gateway', () => {
    expect(found['shared-imports-app'].map(format)).toEqual([]);
  });

  it("no workspace imports another workspace's src/, migrations/ or test/ by relative path", () => {
    expect(found['relative-import-into-workspace'].map(format)).toEqual([]);
  });
});
