import { doctorEnv, type DoctorConfig } from '@hc/config';
import { createConsumer, OutboxRelay, QUEUES } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildDoctorSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { AppointmentEvents } from './modules/appointment/appointment.events.js';
import { userChangedHandler } from './modules/user/user-copy.consumer.js';
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
  createRuntime: async (config, { orm, redis, logger }) => {
    const { schema } = await buildDoctorSchema();
    const events = new AppointmentEvents(redis, config.REDIS_PREFIX, logger);
    const relay = new OutboxRelay({ orm, redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, logger });
    const users = createConsumer({
      queue: QUEUES.doctorEvents,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger,
      handler: userChangedHandler(orm),
    });
    return {
      schema,
      buildContext: (base) => ({ ...base, em: orm.em.fork(), events }),
      background: [relay, users],
    };
  },
};
