import { UnrecoverableError, type Job } from 'bullmq';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { WaitlistOfferExpireEvent } from '@hc/jobs';
import { expireOffer, type SlotPublisher } from './waitlist.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * BullMQ handler for `waitlist.offer-expire` jobs on QUEUES.doctorEvents (delayed until the offer's
 * expiry): moves the offer on. Idempotent — it acts only while the entry still offers the named
 * hold and its time has passed; a job that arrives early throws and is retried. A slot nobody
 * waiting takes is announced on `slots` (slotReleased subscribers) after the commit.
 */
export const waitlistOfferExpireHandler =
  (orm: MikroORM, offerMinutes: number, slots: SlotPublisher) => async (job: Job<WaitlistOfferExpireEvent>) => {
    if (job.name !== 'waitlist.offer-expire') return;
    for (const key of ['entryId', 'holdId'] as const) {
      if (!UUID.test(String(job.data[key]))) throw new UnrecoverableError(`waitlist.offer-expire: ${key} is not a uuid`);
    }
    await expireOffer(orm.em, job.data, offerMinutes, slots);
  };
