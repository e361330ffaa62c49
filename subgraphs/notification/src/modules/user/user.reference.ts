import { Directive, Field, ID, ObjectType } from 'type-graphql';
import type { AuthUser } from '@hc/auth';
import { ForbiddenError, NotFoundError } from '@hc/graphql';

/** The auth-owned User as this subgraph sees it: its key; notification adds preferences and history. */
// Each subgraph declares its own stub class: type-graphql attaches @FieldResolvers to the class
// globally, so a shared class would leak one subgraph's User fields into another's schema.
@ObjectType('User')
@Directive('@key(fields: "id")')
export class UserRef {
  @Field(() => ID)
  id!: string;
}

export const userReference = {
  User: { __resolveReference: (ref: { id: string }): UserRef => ({ id: ref.id }) },
};

/** Notification settings and history are the user's own business; admins may see them too. */
export function assertSelfOrAdmin(user: AuthUser | null, userId: string, mode: 'forbidden' | 'not-found' = 'forbidden') {
  if (user && (user.id === userId || user.role === 'ADMIN')) return;
  throw mode === 'forbidden' ? new ForbiddenError('Only the user and admins see this') : new NotFoundError('User');
}
