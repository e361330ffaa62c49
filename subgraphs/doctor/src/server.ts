import type { Job } from 'bullmq';
import { doctorEnv, type DoctorConfig } from '@hc/config';
import { createConsumer, OutboxRelay, reconcileSettings, QUEUES } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildDoctorSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { AppointmentEvents } from './modules/appointment/appointment.events.js';
import { userChangedHandler } from './modules/user/user-copy.consumer.js';
import { pharmacyAccessHandler } from './modules/prescription/prescription.consumer.js';
import type { DoctorSubgraphContext } from './context.js';

type JobHandler = (job: Job<any>) => Promise<unknown>;
/** One events queue carries several job names; each goes to its handler, unknown names are ignored. */
const byJobName = (handlers: Record<string, JobHandler>) => async (job: Job) => handlers[job.name]?.(job);

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
    const relay = new OutboxRelay({
      orm,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger,
      reconcile: reconcileSettings(config),
    });
    const users = createConsumer({
      queue: QUEUES.doctorEvents,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger,
      handler: byJobName({
        'user.changed': userChangedHandler(orm),
        'prescription.pharmacy-access': pharmacyAccessHandler(orm),
      }),
    });
    return {
      schema,
      buildContext: (base) => ({ ...base, em: orm.em.fork(), events }),
      background: [relay, users],
    };
  },
};
