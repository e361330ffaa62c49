import type { PubSub } from 'type-graphql';
import { buildSubgraph } from '@hc/graphql';
import { DoctorResolver } from './modules/doctor/doctor.resolver.js';
import { UserDoctorResolver, doctorReference } from './modules/doctor/doctor.reference.js';
import { WorkplaceResolver } from './modules/workplace/workplace.resolver.js';
import { workplaceReference } from './modules/workplace/workplace.reference.js';
import { AppointmentResolver } from './modules/appointment/appointment.resolver.js';
import { UserAppointmentsResolver, appointmentReference } from './modules/appointment/appointment.reference.js';
import { AssistantAssignmentResolver, AssistantResolver } from './modules/assistant/assistant.resolver.js';
import { userReference } from './modules/user/user.reference.js';
import { DoctorReviewResolver } from './modules/doctor/doctor-review.resolver.js';
import { PrescriptionItemResolver, PrescriptionResolver } from './modules/prescription/prescription.resolver.js';
import { prescriptionReference } from './modules/prescription/prescription.reference.js';
import { WaitlistResolver } from './modules/waitlist/waitlist.resolver.js';
import { DoctorDocumentResolver, DoctorDocumentsResolver } from './modules/document/document.resolver.js';

/**
 * appointmentUpdated and slotReleased are declared here so the supergraph has the Subscription type, but the
 * gateway serves them (graphql-ws + Redis pub/sub); this subgraph never runs a subscription.
 */
const gatewayServedPubSub: PubSub = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('appointment subscriptions are served by the gateway');
  },
};

export const buildDoctorSchema = () =>
  buildSubgraph({
    resolvers: [
      DoctorResolver,
      UserDoctorResolver,
      WorkplaceResolver,
      AppointmentResolver,
      UserAppointmentsResolver,
      AssistantResolver,
      AssistantAssignmentResolver,
      DoctorReviewResolver,
      PrescriptionResolver,
      PrescriptionItemResolver,
      WaitlistResolver,
      DoctorDocumentResolver,
      DoctorDocumentsResolver,
    ],
    referenceResolvers: {
      ...userReference,
      ...doctorReference,
      ...workplaceReference,
      ...appointmentReference,
      ...prescriptionReference,
    },
    pubSub: gatewayServedPubSub,
  });
