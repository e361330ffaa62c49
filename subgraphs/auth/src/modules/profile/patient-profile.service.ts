import type { EntityManager } from '@mikro-orm/postgresql';
import { PatientProfile } from './patient-profile.entity.js';
import type { PatientProfileInput } from './patient-profile.inputs.js';

/**
 * The patient edits their own health profile, created on first save. Absent fields stay as they
 * are; allergies are trimmed and blanks dropped.
 */
export async function updatePatientProfile(
  em: EntityManager,
  userId: string,
  input: PatientProfileInput,
): Promise<PatientProfile> {
  let profile = await em.findOne(PatientProfile, { userId });
  if (!profile) {
    profile = new PatientProfile();
    profile.userId = userId;
    em.persist(profile);
  }
  if (input.emergencyContact !== undefined) profile.emergencyContact = input.emergencyContact;
  if (input.insuranceInfo !== undefined) profile.insuranceInfo = input.insuranceInfo;
  if (input.medicalHistory !== undefined) profile.medicalHistory = input.medicalHistory;
  if (input.allergies != null) profile.allergies = input.allergies.map((a) => a.trim()).filter(Boolean);
  await em.flush();
  return profile;
}
