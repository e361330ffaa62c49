import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** Where to reach a user: a read copy of auth's user, kept current from `user.changed` events. */
@Entity({ tableName: 'contacts' })
export class Contact {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 320 })
  email!: string;

  @Property({ type: 'string', length: 32, nullable: true })
  phone?: string | null;

  @Property({ type: 'string', length: 20 })
  role!: string;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
