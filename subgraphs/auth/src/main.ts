// The only file of this subgraph that reads process.env.
import { runSubgraph } from '@hc/service';
import { authSubgraph } from './server.js';

await runSubgraph(authSubgraph, process.env);
