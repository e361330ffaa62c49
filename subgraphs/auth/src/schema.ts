import { buildSubgraph } from '@hc/graphql';
import { UserResolver } from './modules/user/user.resolver.js';
import { userReference } from './modules/user/user.reference.js';

export const buildAuthSchema = () =>
  buildSubgraph({
    resolvers: [UserResolver],
    referenceResolvers: userReference,
  });
