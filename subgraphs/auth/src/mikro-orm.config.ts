import { OutboxMessage } from '@hc/jobs';
import { User } from './modules/user/user.entity.js';
import { OtpCode } from './modules/otp/otp.entity.js';
import { RefreshToken } from './modules/tokens/refresh-token.entity.js';
import { UserAddress } from './modules/address/address.entity.js';
import { PatientProfile } from './modules/profile/patient-profile.entity.js';
import { CareAccess } from './modules/care/care-access.entity.js';
import { migrations } from '../migrations/index.js';

/** Entities and migrations of auth_service, shared by the server and the migration CLI. */
export const entities = [User, OtpCode, RefreshToken, UserAddress, PatientProfile, CareAccess, OutboxMessage];
export { migrations };
export const migrationsDir = new URL('../migrations', import.meta.url).pathname;
