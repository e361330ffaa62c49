import { buildSubgraph } from '@hc/graphql';
import { CategoryResolver } from './modules/catalogue/category.resolver.js';

export const buildPharmacySchema = () => buildSubgraph({ resolvers: [CategoryResolver] });
