import { Field, Int, ObjectType, Directive, type ClassType } from 'type-graphql';
import { BadUserInputError } from './errors.js';

@ObjectType({ description: 'Cursor pagination state.' })
@Directive('@shareable')
export class PageInfo {
  @Field(() => String, { nullable: true })
  endCursor!: string | null;

  @Field()
  hasNextPage!: boolean;
}

export interface ConnectionShape<T> {
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * Base class for `XConnection { nodes, pageInfo, totalCount }` (contract convention). The fields
 * are @shareable because the contract has one connection type served by several subgraphs
 * (UserConnection: auth's `users`, doctor's `myPatients`); field directives are inherited by the
 * subclasses, class directives would not be.
 */
export function Connection<T extends object>(Node: ClassType<T>) {
  @ObjectType()
  abstract class ConnectionClass implements ConnectionShape<T> {
    @Field(() => [Node])
    @Directive('@shareable')
    nodes!: T[];

    @Field(() => PageInfo)
    @Directive('@shareable')
    pageInfo!: PageInfo;

    @Field(() => Int)
    @Directive('@shareable')
    totalCount!: number;
  }
  return ConnectionClass;
}

export const MAX_PAGE_SIZE = 100;

/** Validates `first` (1..100, contract cap). */
export function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw BadUserInputError.field('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return n;
}

/** MikroORM Cursor → contract connection. */
export function toConnection<T>(cursor: {
  items: T[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}): ConnectionShape<T> {
  return {
    nodes: cursor.items,
    totalCount: cursor.totalCount,
    pageInfo: { endCursor: cursor.endCursor, hasNextPage: cursor.hasNextPage },
  };
}

/** Opaque offset cursors for lists that are not entity queries (e.g. merged results). */
export const offsetCursor = {
  encode: (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url'),
  decode: (cursor: string | null | undefined): number => {
    if (!cursor) return 0;
    const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
    if (!m) throw BadUserInputError.field('after', 'after is not a valid cursor');
    return Number(m[1]);
  },
};
