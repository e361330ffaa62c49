import { doctorEnv, type DoctorConfig } from '@hc/config';
import { QUEUES } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildDoctorSchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { AppointmentEvents } from './modules/appointment/appointment.events.js';
import { applyUserChanged } from './modules/user/user-copy.consumer.js';
import { applyPharmacyAccess } from './modules/prescription/prescription.consumer.js';
import { waitlistOfferExpireHandler } from './modules/waitlist/waitlist.consumer.js';
import { createDocumentStore, LocalDocumentStore } from './modules/document/document.store.js';
import { documentRoutes } from './modules/document/document.routes.js';
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
        'waitlist.offer-expire': (_event, { orm, config, job, redis, logger }) =>
          waitlistOfferExpireHandler(
            orm,
            config.WAITLIST_OFFER_MINUTES,
            new AppointmentEvents(redis, config.REDIS_PREFIX, logger),
          )(job),
      },
    },
  ],
  createRuntime: async (config, { orm, redis, logger }) => {
    const { schema } = await buildDoctorSchema();
    const events = new AppointmentEvents(redis, config.REDIS_PREFIX, logger);
    const store = createDocumentStore(config);
    const documents = Object.assign(store, { maxBytes: config.DOCUMENT_MAX_BYTES, ttlSeconds: config.DOCUMENT_URL_TTL_SECONDS });
    return {
      schema,
      routes: store instanceof LocalDocumentStore ? documentRoutes(store, config.DOCUMENT_MAX_BYTES) : undefined,
      buildContext: (base) => ({
        ...base,
        em: orm.em.fork(),
        events,
        documents,
        waitlistOfferMinutes: config.WAITLIST_OFFER_MINUTES,
        caps: { maxUpcomingAppointments: config.PATIENT_MAX_UPCOMING_APPOINTMENTS },
      }),
    };
  },
};
