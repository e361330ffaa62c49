import { buildSubgraph } from '@hc/graphql';
import { UserResolver } from './modules/user/user.resolver.js';
import { userReference } from './modules/user/user.reference.js';
import { AccountResolver } from './modules/account/account.resolver.js';
import { TokenResolver } from './modules/tokens/token.resolver.js';
import { PasswordResolver } from './modules/password/password.resolver.js';
import { AddressResolver } from './modules/address/address.resolver.js';
import { PatientProfileResolver } from './modules/profile/patient-profile.resolver.js';
import { AuditResolver } from './modules/audit/audit.resolver.js';
import { CareAccessResolver } from './modules/care/care.resolver.js';

export const buildAuthSchema = () =>
  buildSubgraph({
    resolvers: [
      UserResolver,
      AccountResolver,
      TokenResolver,
      PasswordResolver,
      AddressResolver,
      PatientProfileResolver,
      AuditResolver,
      CareAccessResolver,
    ],
    referenceResolvers: userReference,
  });
