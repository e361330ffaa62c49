// The only file of this subgraph that reads process.env.
import { runSubgraph } from '@hc/service';
import { pharmacySubgraph } from './server.js';

await runSubgraph(pharmacySubgraph, process.env);
