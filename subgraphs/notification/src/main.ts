// The only file of this subgraph that reads process.env.
import { runSubgraph } from '@hc/service';
import { notificationSubgraph } from './server.js';

await runSubgraph(notificationSubgraph, process.env);
