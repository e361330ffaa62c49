import { pharmacyEnv, type PharmacyConfig } from '@hc/config';
import type { Job } from 'bullmq';
import {
  OutboxRelay,
  reconcileSettings,
  QUEUES,
  createConsumer,
  type PrescriptionChangedEvent,
  type ReservationExpireEvent,
} from '@hc/jobs';
import type { SubgraphDefinition } from '@hc/service';
import { buildPharmacySchema } from './schema.js';
import { entities, migrations, migrationsDir } from './mikro-orm.config.js';
import { process as expireReservation } from './modules/reservation/reservation-expire.job.js';
import { process as applyPrescription } from './modules/prescription/prescription.consumer.js';
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
  createRuntime: async (config, { orm, logger }) => {
    const { schema } = await buildPharmacySchema();
    const relay = new OutboxRelay({
      orm,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger,
      reconcile: reconcileSettings(config),
    });
    // pharmacy-events also receives auth's user.changed; this subgraph keeps no user copy, so those are acknowledged.
    const events = createConsumer<ReservationExpireEvent | PrescriptionChangedEvent>({
      queue: QUEUES.pharmacyEvents,
      redisUrl: config.REDIS_URL,
      prefix: config.REDIS_PREFIX,
      logger,
      handler: (job) =>
        job.name === 'prescription.changed'
          ? applyPrescription(orm, job as Job<PrescriptionChangedEvent>)
          : expireReservation(orm, job as Job<ReservationExpireEvent>),
    });
    return {
      schema,
      buildContext: (base) => ({ ...base, em: orm.em.fork(), reservationTtlMinutes: config.RESERVATION_TTL_MINUTES }),
      background: [
        { start: () => relay.start(), stop: () => relay.stop() },
        { start: () => events.start(), stop: () => events.stop() },
      ],
    };
  },
};
