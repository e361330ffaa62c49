import { doctorEnv, type DoctorConfig } from '@hc/config';
import { QUEUES } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildDoctorSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { AppointmentEvents } from './modules/appointment/appointment.events.js';
import { applyUserChanged } from './modules/user/user-copy.consumer.js';
import { applyPharmacyAccess } from './modules/prescription/prescription.consumer.js';
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
  outboxRelay: true,
  consumes: [
    {
      queue: QUEUES.doctorEvents,
      handlers: {
        'user.changed': (event, { orm }) => applyUserChanged(orm, event),
        'prescription.pharmacy-access': (event, { orm }) => applyPharmacyAccess(orm, event),
      },
    },
  ],
  createRuntime: async (config, { orm, redis, logger }) => {
    const { schema } = await buildDoctorSchema();
    const events = new AppointmentEvents(redis, config.REDIS_PREFIX, logger);
    return {
      schema,
      buildContext: (base) => ({
        ...base,
        em: orm.em.fork(),
        events,
        caps: { maxUpcomingAppointments: config.PATIENT_MAX_UPCOMING_APPOINTMENTS },
      }),
    };
  },
};
