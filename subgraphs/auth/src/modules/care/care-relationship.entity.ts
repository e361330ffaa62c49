import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Read copy of the doctor subgraph's care relationships (care.changed events): a doctor or
 * assistant with an appointment with the patient may read the patient's email and health profile.
 */
@Entity({ tableName: 'care_relationships' })
export class CareRelationship {
  @PrimaryKey({ type: 'uuid' })
  staffUserId!: string;

  @PrimaryKey({ type: 'uuid' })
  patientId!: string;

  @Property({ type: 'boolean' })
  active!: boolean;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
