import { pharmacyEnv, type PharmacyConfig } from '@hc/config';
import { QUEUES } from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildPharmacySchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { process as expireReservation } from './modules/reservation/reservation-expire.job.js';
import { applyPrescriptionChanged } from './modules/prescription/prescription.consumer.js';
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
  outboxRelay: true,
  consumes: [
    {
      queue: QUEUES.pharmacyEvents,
      handlers: {
        'reservation.expire': (_event, { orm, job }) => expireReservation(orm, job),
        'prescription.changed': (event, { orm }) => applyPrescriptionChanged(orm, event),
        // auth fans user.changed out to this queue too; this subgraph keeps no user copy.
        'user.changed': async () => undefined,
      },
    },
  ],
  createRuntime: async (config, { orm }) => {
    const { schema } = await buildPharmacySchema();
    return {
      schema,
      buildContext: (base) => ({
        ...base,
        em: orm.em.fork(),
        reservationTtlMinutes: config.RESERVATION_TTL_MINUTES,
        caps: {
          maxActiveReservations: config.PATIENT_MAX_ACTIVE_RESERVATIONS,
          maxReservedUnits: config.PATIENT_MAX_RESERVED_UNITS,
        },
      }),
    };
  },
};
