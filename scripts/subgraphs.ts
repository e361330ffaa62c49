import { authSubgraph } from '../subgraphs/auth/src/server.ts';
import { doctorSubgraph } from '../subgraphs/doctor/src/server.ts';
import { notificationSubgraph } from '../subgraphs/notification/src/server.ts';
import { pharmacySubgraph } from '../subgraphs/pharmacy/src/server.ts';

/** Every subgraph, in start order (auth first: the others fetch its JWKS). */
export const subgraphs = {
  auth: authSubgraph,
  doctor: doctorSubgraph,
  notification: notificationSubgraph,
  pharmacy: pharmacySubgraph,
} as const;

export type SubgraphName = keyof typeof subgraphs;
export const subgraphNames = Object.keys(subgraphs) as SubgraphName[];

export const schemaFile = (name: SubgraphName) => new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url).pathname;
