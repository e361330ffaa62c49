// The layering rules of docs/architecture.md, checked by reading the sources (architecture.test.ts).
// A plain scan rather than ESLint rules: the rules are about where a file sits among the
// workspaces (resolving a relative import to the workspace it lands in), not about syntax, and
// they run inside `npm test` beside everything else.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Violation {
  /** Repository-relative path. */
  file: string;
  line: number;
  rule: 'resolver-runs-sql' | 'shared-imports-app' | 'relative-import-into-workspace';
  detail: string;
}

export const format = (v: Violation): string => `${v.file}:${v.line}: [${v.rule}] ${v.detail}`;

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', '.git', '.turbo', 'dist', 'coverage', '.test-results']);

/** Folders scanned: every workspace plus the root's own code. */
const TOP_LEVEL = ['shared', 'subgraphs', 'gateway', 'tools', 'scripts', 'bench'];

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (SOURCE.test(name)) out.push(full);
  }
  return out;
}

export function sourceFiles(root = repoRoot): string[] {
  const files: string[] = [];
  for (const top of TOP_LEVEL) if (existsSync(path.join(root, top))) walk(path.join(root, top), files);
  return files.map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
}

/** Workspace folders (repository-relative), from the root package.json's `workspaces` globs. */
export function workspaces(root = repoRoot): string[] {
  const globs: string[] = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces;
  const found: string[] = [];
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const parent = glob.slice(0, -2);
      for (const name of readdirSync(path.join(root, parent))) {
        if (existsSync(path.join(root, parent, name, 'package.json'))) found.push(`${parent}/${name}`);
      }
    } else if (existsSync(path.join(root, glob, 'package.json'))) found.push(glob);
  }
  return found.sort();
}

/** The workspace a repository-relative path belongs to; `.` for the root's own scripts and benches. */
export function workspaceOf(file: string, all: string[]): string {
  return all.find((w) => file === w || file.startsWith(`${w}/`)) ?? '.';
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Comments blanked out (newlines kept, so line numbers stay right): a rule never fires on prose. */
export function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (c, lead: string) => lead + ' '.repeat(c.length - lead.length));
}

/** Every module specifier: static and dynamic imports, re-exports, require. */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const code = stripComments(text);
  const found: { specifier: string; line: number }[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) found.push({ specifier: m[1], line: lineAt(code, m.index + m[0].lastIndexOf(m[1])) });
  }
  return found.sort((a, b) => a.line - b.line);
}

/** What a resolver must leave to its service: SQL, transactions and locks. */
const RESOLVER_SQL: { re: RegExp; what: string }[] = [
  { re: /\.execute\s*(<[^>]*>)?\s*\(/g, what: 'runs SQL (.execute)' },
  { re: /\bcreateQueryBuilder\b/g, what: 'builds SQL (createQueryBuilder)' },
  { re: /\.getConnection\s*\(/g, what: 'takes the raw connection (getConnection)' },
  { re: /\.transactional\s*\(/g, what: 'opens a transaction (.transactional)' },
  { re: /\bbegin\s*\(/g, what: 'opens a transaction (begin)' },
  { re: /\block(InOrder|Workplace|Rows?)\b/g, what: 'takes a lock (lockInOrder)' },
  { re: /\b(knex|getKnex|kysely|getKysely)\b/g, what: 'uses a query builder (knex/kysely)' },
  { re: /\braw\s*\(|\bsql\s*`/g, what: 'writes raw SQL (raw/sql``)' },
  {
    re: /[`'"]\s*(select\s[^`'"]*?\bfrom\b|insert\s+into\b|update\s+"?\w+"?\s+set\b|delete\s+from\b|with\s+\w+\s+as\b)/gi,
    what: 'holds a raw SQL string',
  },
];

export function resolverViolations(file: string, text: string): Violation[] {
  if (!file.endsWith('.resolver.ts')) return [];
  const code = stripComments(text);
  const out: Violation[] = [];
  for (const { re, what } of RESOLVER_SQL) {
    for (const m of code.matchAll(re)) {
      out.push({
        file,
        line: lineAt(code, m.index),
        rule: 'resolver-runs-sql',
        detail: `resolver ${what}: move it into the feature's service`,
      });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

const APP_PACKAGE = /^@hc\/(gateway|[\w-]+-subgraph)(\/|$)/;

/** shared/ packages are libraries: they never import a subgraph or the gateway. */
export function sharedViolations(file: string, text: string, all: string[]): Violation[] {
  if (!file.startsWith('shared/')) return [];
  const out: Violation[] = [];
  for (const { specifier, line } of importsOf(text)) {
    let target: string | undefined;
    if (APP_PACKAGE.test(specifier)) target = specifier;
    else if (specifier.startsWith('.')) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const ws = workspaceOf(resolved, all);
      if (ws.startsWith('subgraphs/') || ws === 'gateway') target = ws;
    }
    if (target) out.push({ file, line, rule: 'shared-imports-app', detail: `shared package imports ${target}` });
  }
  return out;
}

/** The same rule for a shared package's declared dependencies (package.json). */
export function sharedManifestViolations(file: string, text: string): Violation[] {
  if (!/^shared\/[^/]+\/package\.json$/.test(file)) return [];
  const out: Violation[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /"(@hc\/(?:gateway|[\w-]+-subgraph))"\s*:/.exec(l);
    if (m) out.push({ file, line: i + 1, rule: 'shared-imports-app', detail: `shared package depends on ${m[1]}` });
  });
  return out;
}

const PRIVATE_DIRS = ['src', 'migrations', 'test'];

/** A workspace reaches another one only through its package exports, never `../other/src/...`. */
export function relativeImportViolations(file: string, text: string, all: string[]): Violation[] {
  const from = workspaceOf(file, all);
  const out: Violation[] = [];
  for (const { specifier, line } of importsOf(text)) {
    if (!specifier.startsWith('.')) continue;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const to = workspaceOf(resolved, all);
    if (to === '.' || to === from) continue;
    const inside = resolved.slice(to.length + 1).split('/')[0];
    if (PRIVATE_DIRS.includes(inside)) {
      out.push({
        file,
        line,
        rule: 'relative-import-into-workspace',
        detail: `imports ${to}/${inside}/ by relative path ('${specifier}'): add an "exports" entry to ${to}/package.json and import the package`,
      });
    }
  }
  return out;
}

/** Every violation in the repository, per rule. */
export function checkRepository(root = repoRoot): Record<Violation['rule'], Violation[]> {
  const all = workspaces(root);
  const result: Record<Violation['rule'], Violation[]> = {
    'resolver-runs-sql': [],
    'shared-imports-app': [],
    'relative-import-into-workspace': [],
  };
  for (const file of sourceFiles(root)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    result['resolver-runs-sql'].push(...resolverViolations(file, text));
    result['shared-imports-app'].push(...sharedViolations(file, text, all));
    result['relative-import-into-workspace'].push(...relativeImportViolations(file, text, all));
  }
  for (const ws of all.filter((w) => w.startsWith('shared/'))) {
    const manifest = `${ws}/package.json`;
    result['shared-imports-app'].push(...sharedManifestViolations(manifest, readFileSync(path.join(root, manifest), 'utf8')));
  }
  return result;
}
