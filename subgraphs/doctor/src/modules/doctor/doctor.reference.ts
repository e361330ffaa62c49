import { doctorById, visibleDoctor } from './doctor.resolver.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Federation: Doctor by key, batched, with the same visibility as doctor(id). */
export const doctorReference = {
  Doctor: {
    __resolveReference: async (ref: { id: string }, ctx: DoctorSubgraphContext) =>
      visibleDoctor(await doctorById(ctx, ref.id), ctx),
  },
};
