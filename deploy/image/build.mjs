// Precompiles the services for the production image: every TypeScript file the services, the
// migrations and scripts/ load becomes a .js file beside it (same SWC settings as
// scripts/register.js: legacy decorators + decorator metadata), relative `.ts` imports become
// `.js`, and workspace package.json entry points move to the .js files. The image then starts with
// plain `node` and no transpiling on boot (docs/deployment.md, "The image", has the measured gain).
// Usage: node deploy/image/build.mjs [--remove-sources]   (run at the repository root, IN A COPY:
// it rewrites package.json files and, with --remove-sources, deletes the .ts files).
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformFile } from '@swc/core';

const root = process.cwd();
const removeSources = process.argv.includes('--remove-sources');
const TREES = ['gateway/src', 'scripts', 'shared', 'subgraphs'];
const SKIP_DIR = new Set(['node_modules', 'test', 'testing', 'dist', '.turbo', 'coverage']);
const SKIP_FILE = /\.test\.ts$|\.d\.ts$/;

function* tsFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIR.has(e.name)) yield* tsFiles(p);
    } else if (e.name.endsWith('.ts') && !SKIP_FILE.test(path.relative(root, p))) yield p;
  }
}

const options = {
  swcrc: false,
  sourceMaps: false,
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'es6' },
};
// `from '../x.ts'`, `import('./y.ts')` → .js (only relative specifiers; packages are untouched).
const relativeTs = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g;

let count = 0;
const compiled = [];
for (const tree of TREES) {
  for (const file of tsFiles(path.join(root, tree))) {
    const { code } = await transformFile(file, options);
    writeFileSync(file.replace(/\.ts$/, '.js'), code.replace(relativeTs, '$1$2.js$3'));
    compiled.push(file);
    count++;
  }
}

// Workspace entry points ("exports": "./src/index.ts") → the compiled files.
for (const dir of [
  'gateway',
  'tools',
  ...['shared', 'subgraphs'].flatMap((d) => readdirSync(path.join(root, d)).map((n) => `${d}/${n}`)),
]) {
  const file = path.join(root, dir, 'package.json');
  try {
    statSync(file);
  } catch {
    continue;
  }
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(/("\.\/[^"]+)\.ts"/g, '$1.js"');
  if (rewritten !== text) writeFileSync(file, rewritten);
}

if (removeSources) for (const f of compiled) rmSync(f);
process.stdout.write(`compiled ${count} TypeScript files${removeSources ? ' (sources removed)' : ''}\n`);
