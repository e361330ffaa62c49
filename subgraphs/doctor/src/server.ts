import { doctorEnv, type DoctorConfig } from '@hc/config';
import type { SubgraphDefinition } from '@hc/service';
import { buildDoctorSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import type { DoctorSubgraphContext } from './context.js';

/** The doctor subgraph: profiles, workplaces, availability, appointments, assistants. */
export const doctorSubgraph: SubgraphDefinition<DoctorConfig, DoctorSubgraphContext> = {
  name: 'doctor',
  envSchema: doctorEnv,
  port: (c) => c.DOCTOR_PORT,
  entities,
  migrations,
  migrationsDir,
  buildSchema: buildDoctorSchema,
  createRuntime: async (_config, { orm }) => {
    const { schema } = await buildDoctorSchema();
    return { schema, buildContext: (base) => ({ ...base, em: orm.em.fork() }) };
  },
};
