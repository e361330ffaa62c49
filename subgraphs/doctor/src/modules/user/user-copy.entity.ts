import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * This subgraph's read copy of an auth user, fed by `user.changed` events. Used for the
 * directory's name search and to find assistants by email; never a query into auth's database.
 */
@Entity({ tableName: 'user_copies' })
export class UserCopy {
  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 320 })
  email!: string;

  @Property({ type: 'string', length: 20 })
  role!: string;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
