import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { requireUser } from '@hc/graphql';
import { User } from '../user/user.entity.js';
import { load } from '../loaders.js';
import { AuditEventConnection, AuditEventView, AuditFilter } from './audit-event.types.js';
import { myAccessLog, searchAuditEvents } from './audit.service.js';
import type { AuthSubgraphContext } from '../../context.js';

@Resolver(() => AuditEventView)
export class AuditResolver {
  @Authorized()
  @Query(() => AuditEventConnection, { description: 'Every recorded read or change of my health data, by anyone, newest first.' })
  myAccessLog(
    @Ctx() ctx: AuthSubgraphContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditEventConnection> {
    return myAccessLog(ctx, requireUser(ctx.auth).id, first, after);
  }

  @Authorized('ADMIN')
  @Query(() => AuditEventConnection, { description: 'Admin: the audit trail of every subgraph, newest first. Itself audited.' })
  auditEvents(
    @Ctx() ctx: AuthSubgraphContext,
    @Arg('filter', () => AuditFilter, { nullable: true }) filter?: AuditFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditEventConnection> {
    return searchAuditEvents(ctx, filter, first, after);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Null when the system acted.' })
  actor(@Root() event: AuditEventView, @Ctx() ctx: AuthSubgraphContext): Promise<User | null> | null {
    return event.actorId ? load.user(ctx, event.actorId) : null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Whose health data it was.' })
  patient(@Root() event: AuditEventView, @Ctx() ctx: AuthSubgraphContext): Promise<User | null> | null {
    return event.patientId ? load.user(ctx, event.patientId) : null;
  }
}
