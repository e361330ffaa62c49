// The gateway stays light: it imports @hc/graphql/shell and @hc/service/process, never the packages'
// main entry points, which load every module of the package (MikroORM, BullMQ, type-graphql's schema
// builder, @apollo/subgraph …): ≈ 1,250 more modules and ≈ 20 MB more heap (docs/performance.md, "Memory").
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) yield p;
  }
}

describe('gateway imports', () => {
  it('no gateway source loads the @hc/graphql or @hc/service barrel (type-only imports are fine)', () => {
    const offenders: string[] = [];
    for (const file of sources(path.join(root, 'gateway/src'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)(\s+type)?\s[^;]*?from '@hc\/(?:graphql|service)'/g)) {
        if (!m[1]) offenders.push(`${path.relative(root, file)}:${text.slice(0, m.index + 1).split('\n').length}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
