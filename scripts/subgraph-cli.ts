// Usage: subgraph-cli.ts <auth|doctor|notification|pharmacy|all> <emit-schema|migrate> [up|down|pending|create]
import { emitSchemaCli, migrateCli } from '@hc/service';
import { schemaFile, subgraphNames, subgraphs, type SubgraphName } from './subgraphs.ts';

const [target, command, sub = 'up'] = process.argv.slice(2);
const names = target === 'all' ? subgraphNames : [target as SubgraphName];
for (const name of names) {
  const def = subgraphs[name];
  if (!def) throw new Error(`unknown subgraph ${name}; one of ${subgraphNames.join(', ')}`);
  if (command === 'emit-schema') await emitSchemaCli(def, schemaFile(name));
  else if (command === 'migrate') await migrateCli(def as never, process.env, sub);
  else throw new Error(`unknown command ${command}`);
}
