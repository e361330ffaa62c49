import { resolvePrescriptionReference } from './prescription.service.js';
import type { DoctorSubgraphContext } from '../../context.js';

/** Federation: Prescription by key (e.g. the pharmacy's Order.prescription), authorized like prescription(id). */
export const prescriptionReference = {
  Prescription: {
    __resolveReference: (ref: { id: string }, ctx: DoctorSubgraphContext) => resolvePrescriptionReference(ctx, ref.id),
  },
};
