// The one list of the subgraphs (CLIs, composition, tests, benches). shared/ never imports a
// subgraph or the gateway: whatever runs them is handed this registry.
import { authSubgraph } from '@hc/auth-subgraph/server';
import { doctorSubgraph } from '@hc/doctor-subgraph/server';
import { notificationSubgraph } from '@hc/notification-subgraph/server';
import { pharmacySubgraph } from '@hc/pharmacy-subgraph/server';
import { createGateway } from '@hc/gateway/server';
import type { SystemUnderTest } from '@hc/testing';

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

/** The whole system as the test harness (`startSupergraph`) runs it: these subgraphs and the gateway. */
export const supergraph: SystemUnderTest<SubgraphName> = { subgraphs, createGateway };
