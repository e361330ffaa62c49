import { randomUUID } from 'node:crypto';
import { PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/*
 * Column bases for entities (ORM columns only, no GraphQL). GraphQL field order follows class
 * declaration order and a base class's fields come first, so an entity that exposes `id`,
 * `createdAt` or `updatedAt` re-declares just the `@Field` where it stood:
 *
 *   @Field(() => ID)
 *   override id!: string;   // no initializer: the base's value stays (useDefineForClassFields: false)
 *
 * The columns, their types and the committed migrations are unchanged by extending a base.
 */

/** A `uuid` primary key generated in the application (the row's id is known before the insert). */
export abstract class UuidEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();
}

/** `UuidEntity` plus the time the row was created. */
export abstract class CreatedEntity extends UuidEntity {
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** `CreatedEntity` plus `updatedAt`, which MikroORM sets on every flush that changes the row. */
export abstract class TimestampedEntity extends CreatedEntity {
  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
