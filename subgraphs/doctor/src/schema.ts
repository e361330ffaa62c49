import { buildSubgraph } from '@hc/graphql';
import { DoctorResolver, UserDoctorResolver } from './modules/doctor/doctor.resolver.js';
import { userReference } from './modules/user/user.reference.js';

export const buildDoctorSchema = () =>
  buildSubgraph({
    resolvers: [DoctorResolver, UserDoctorResolver],
    referenceResolvers: userReference,
  });
