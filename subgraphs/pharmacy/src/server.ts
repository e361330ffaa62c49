import { pharmacyEnv, type PharmacyConfig } from '@hc/config';
import type { SubgraphDefinition } from '@hc/service';
import { buildPharmacySchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import type { PharmacySubgraphContext } from './context.js';

/** The pharmacy subgraph: pharmacies, catalogue, stock, orders, reservations. */
export const pharmacySubgraph: SubgraphDefinition<PharmacyConfig, PharmacySubgraphContext> = {
  name: 'pharmacy',
  envSchema: pharmacyEnv,
  port: (c) => c.PHARMACY_PORT,
  entities,
  migrations,
  migrationsDir,
  buildSchema: buildPharmacySchema,
  createRuntime: async (_config, { orm }) => {
    const { schema } = await buildPharmacySchema();
    return { schema, buildContext: (base) => ({ ...base, em: orm.em.fork() }) };
  },
};
