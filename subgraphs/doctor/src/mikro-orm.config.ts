import { OutboxMessage } from '@hc/jobs';
import { Doctor } from './modules/doctor/doctor.entity.js';
import { Workplace } from './modules/workplace/workplace.entity.js';
import { Appointment } from './modules/appointment/appointment.entity.js';
import { AssistantAssignment, AssistantInvite } from './modules/assistant/assistant.entity.js';
import { UserCopy } from './modules/user/user-copy.entity.js';
import { Prescription, PrescriptionItem } from './modules/prescription/prescription.entity.js';
import { WaitlistEntry } from './modules/waitlist/waitlist.entity.js';
import { DoctorDocument } from './modules/document/document.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of doctor_service, shared by the server and the migration CLI. */
export const entities = [
  Doctor,
  Workplace,
  Appointment,
  AssistantInvite,
  AssistantAssignment,
  UserCopy,
  OutboxMessage,
  Prescription,
  PrescriptionItem,
  WaitlistEntry,
  DoctorDocument,
];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
