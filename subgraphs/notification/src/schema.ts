import { buildSubgraph } from '@hc/graphql';
import { TemplateResolver } from './modules/template/template.resolver.js';

export const buildNotificationSchema = () => buildSubgraph({ resolvers: [TemplateResolver] });
