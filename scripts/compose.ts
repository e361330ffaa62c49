// npm run compose            → writes gateway/supergraph.graphql from the committed subgraph SDL
// npm run compose -- --check → fails when composition fails, when a subgraph's code no longer
//                              matches its committed schema.graphql, or when the committed
//                              supergraph is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { schemaFile, subgraphNames, subgraphs } from './subgraphs.ts';

const DEFAULT_URLS: Record<string, string> = {
  auth: 'http://127.0.0.1:3001/graphql',
  doctor: 'http://127.0.0.1:3002/graphql',
  notification: 'http://127.0.0.1:3003/graphql',
  pharmacy: 'http://127.0.0.1:3004/graphql',
};
const SUPERGRAPH = new URL('../gateway/supergraph.graphql', import.meta.url).pathname;
const check = process.argv.includes('--check');
const problems: string[] = [];

const services = [];
for (const name of subgraphNames) {
  const committed = await readFile(schemaFile(name), 'utf8').catch(() => '');
  if (check) {
    const { sdl } = await subgraphs[name].buildSchema();
    if (sdl !== committed) {
      problems.push(`subgraphs/${name}/schema.graphql is stale: run \`npm run emit-schemas && npm run compose\``);
    }
  }
  services.push({ name, url: DEFAULT_URLS[name], typeDefs: parse(committed || 'type Query { _empty: String }') });
}

const result = composeServices(services);
if (result.errors) {
  for (const e of result.errors) problems.push(`composition: ${e.message}`);
} else {
  const supergraph = result.supergraphSdl;
  if (check) {
    const committed = await readFile(SUPERGRAPH, 'utf8').catch(() => '');
    if (committed !== supergraph) problems.push('gateway/supergraph.graphql is stale: run `npm run compose`');
  } else {
    await writeFile(SUPERGRAPH, supergraph);
    process.stdout.write(`wrote ${SUPERGRAPH}\n`);
  }
  for (const hint of result.hints ?? []) process.stdout.write(`hint: ${hint.toString()}\n`);
}

if (problems.length) {
  process.stderr.write(problems.map((p) => `✗ ${p}`).join('\n') + '\n');
  process.exit(1);
}
if (check) process.stdout.write('✓ subgraph SDL current, composition succeeds, supergraph up to date\n');
