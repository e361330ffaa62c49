import { prescriptionRef } from './prescription.types.js';

/** The doctor owns Prescription; the pharmacy resolves the key alone and adds `fulfilment`. */
export const prescriptionReference = {
  Prescription: { __resolveReference: (ref: { id: string }) => prescriptionRef(ref.id) },
};
