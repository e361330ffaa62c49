import type { MikroORM } from '@mikro-orm/postgresql';
import type { CareRelationshipEvent } from '@hc/jobs';
import { applyCareEvent as apply } from './care.service.js';

/** care.changed (doctor subgraph) → the consent rows; see care.service's applyCareEvent. */
export function applyCareEvent(orm: MikroORM, event: CareRelationshipEvent, careAccessDays: number): Promise<void> {
  return apply(orm.em.fork(), event, careAccessDays);
}
