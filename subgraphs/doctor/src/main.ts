// The only file of this subgraph that reads process.env.
import { runSubgraph } from '@hc/service';
import { doctorSubgraph } from './server.js';

await runSubgraph(doctorSubgraph, process.env);
