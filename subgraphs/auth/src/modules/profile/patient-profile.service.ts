import type { EntityManager } from '@mikro-orm/postgresql';
import { auditChange, type AuditContext } from '@hc/audit';
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
  audit: AuditContext | null = null,
): Promise<PatientProfile> {
  // The change and its audit event commit together, or neither does.
  return em.transactional(async (tx) => {
    let profile = await tx.findOne(PatientProfile, { userId });
    const created = !profile;
    if (!profile) {
      profile = new PatientProfile();
      profile.userId = userId;
      tx.persist(profile);
    }
    const fields: string[] = [];
    if (input.emergencyContact !== undefined) {
      profile.emergencyContact = input.emergencyContact;
      fields.push('emergencyContact');
    }
    if (input.insuranceInfo !== undefined) {
      profile.insuranceInfo = input.insuranceInfo;
      fields.push('insuranceInfo');
    }
    if (input.medicalHistory !== undefined) {
      profile.medicalHistory = input.medicalHistory;
      fields.push('medicalHistory');
    }
    if (input.allergies != null) {
      profile.allergies = input.allergies.map((a) => a.trim()).filter(Boolean);
      fields.push('allergies');
    }
    await tx.flush();
    await auditChange(tx, 'auth', audit, {
      action: created ? 'CREATE' : 'UPDATE',
      resourceType: 'PatientProfile',
      resourceId: userId,
      patientId: userId,
      fields,
    });
    return profile;
  });
}
