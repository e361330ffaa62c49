import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The auth-owned User as this subgraph sees it: only its key; doctor adds fields to it. */
// Each subgraph declares its own stub class: type-graphql attaches @FieldResolvers to the class
// globally, so a shared class would leak one subgraph's User fields into another's schema.
@ObjectType('User')
@Directive('@key(fields: "id")')
export class UserRef {
  @Field(() => ID)
  id!: string;
}

export const userRef = (id: string): UserRef => ({ id });

export const userReference = {
  User: { __resolveReference: (ref: { id: string }) => userRef(ref.id) },
};
