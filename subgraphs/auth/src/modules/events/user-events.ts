import type { EntityManager } from '@mikro-orm/postgresql';
import { addToOutbox } from '@hc/jobs';
import type { User } from '../user/user.entity.js';

/** `user.changed` for every create/update of a user; commits with the change (outbox). */
export function publishUserChanged(em: EntityManager, user: User): void {
  addToOutbox(em, 'user.changed', {
    userId: user.id,
    name: user.name,
    email: user.email,
    phone: user.phone ?? null,
    role: user.role,
    isVerified: user.isVerified,
    updatedAt: (user.updatedAt ?? new Date()).toISOString(),
  });
}
