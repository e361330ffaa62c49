import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Audited } from '@hc/audit';

/** What clients see. EXPIRED is never stored: an ACTIVE prescription whose expiresAt has passed. */
export enum PrescriptionStatus {
  ACTIVE = 'ACTIVE',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(PrescriptionStatus, { name: 'PrescriptionStatus' });

/** What the row holds (database enum `prescription_state`). */
export type PrescriptionState = 'ACTIVE' | 'CANCELLED';

/**
 * The pharmacy-owned catalogue item, as this subgraph refers to it. Not resolvable here: the
 * doctor subgraph cannot see the catalogue, the pharmacy subgraph resolves every other field.
 */
@ObjectType('Item')
@Directive('@key(fields: "id", resolvable: false)')
export class ItemRef {
  @Field(() => ID)
  id!: string;
}

/**
 * A prescription written at a visit. The key stays exactly `id`: the pharmacy subgraph extends
 * this type (what was dispensed) through a stub with the same key.
 */
@Entity({ tableName: 'prescriptions' })
@ObjectType()
@Directive('@key(fields: "id")')
export class Prescription {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  patientId!: string;

  @Property({ type: 'uuid' })
  doctorId!: string;

  /** The prescriber's auth user id, on the row so permission checks need no join. */
  @Property({ type: 'uuid' })
  doctorUserId!: string;

  @Property({ type: 'uuid' })
  appointmentId!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  @Audited('Prescription', (p: Prescription) => ({ resourceId: p.id, patientId: p.patientId }))
  notes?: string | null;

  /** The stored state; the API's `status` adds EXPIRED (prescription.resolver.ts). */
  @Enum({ items: ['ACTIVE', 'CANCELLED'], nativeEnumName: 'prescription_state' })
  status: PrescriptionState = 'ACTIVE';

  @Property({ type: 'timestamptz' })
  @Field()
  issuedAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  @Field()
  expiresAt!: Date;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  cancellationReason?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  cancelledAt?: Date | null;

  /** Bumped on every change; the `prescription.changed` event carries it so the pharmacy keeps the newest. */
  @Property({ type: 'integer' })
  version: number = 1;

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

/** One prescribed line. `item` is a reference to the pharmacy's catalogue. */
@Entity({ tableName: 'prescription_items' })
@ObjectType()
export class PrescriptionItem {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  prescriptionId!: string;

  /** Order of the lines as written. */
  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'uuid' })
  itemId!: string;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Units prescribed in total.' })
  quantity!: number;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  dosageInstructions?: string | null;
}
