import { findVisibleWorkplace } from './workplace.service.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Federation: Workplace by key; inactive ones only for their doctor and admins. */
export const workplaceReference = {
  Workplace: {
    __resolveReference: (ref: { id: string }, ctx: DoctorSubgraphContext) => findVisibleWorkplace(ctx, ref.id),
  },
};
