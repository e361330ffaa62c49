import { buildSubgraph } from '@hc/graphql';
import { TemplateResolver } from './modules/template/template.resolver.js';
import { PreferenceResolver } from './modules/preference/preference.resolver.js';
import { UserPreferenceResolver } from './modules/preference/preference.reference.js';
import { NotificationResolver } from './modules/notification/notification.resolver.js';
import { UserNotificationResolver } from './modules/notification/notification.reference.js';
import { OperationsResolver } from './modules/operations/operations.resolver.js';
import { PushResolver } from './modules/push/push.resolver.js';
import { UserRef, userReference } from './modules/user/user.reference.js';

export const buildNotificationSchema = () =>
  buildSubgraph({
    resolvers: [
      TemplateResolver,
      PreferenceResolver,
      UserPreferenceResolver,
      NotificationResolver,
      UserNotificationResolver,
      OperationsResolver,
      PushResolver,
    ],
    // User is only extended here (no field of ours returns it), so it must be listed.
    orphanedTypes: [UserRef],
    referenceResolvers: userReference,
  });
