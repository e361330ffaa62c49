import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum FulfilmentStatus {
  NOT_DISPENSED = 'NOT_DISPENSED',
  PARTIALLY_DISPENSED = 'PARTIALLY_DISPENSED',
  DISPENSED = 'DISPENSED',
}
registerEnumType(FulfilmentStatus, { name: 'FulfilmentStatus' });

/**
 * The doctor-owned Prescription as the pharmacy sees it: only its key. The pharmacy adds
 * `fulfilment` (what was dispensed, from its own tables); every other field is the doctor's.
 */
@ObjectType('Prescription')
@Directive('@key(fields: "id")')
export class PrescriptionRef {
  @Field(() => ID)
  id!: string;
}

export const prescriptionRef = (id: string): PrescriptionRef => ({ id });

@ObjectType()
export class PrescriptionBalance {
  itemId!: string;
  @Field(() => Int) prescribed!: number;
  @Field(() => Int) dispensed!: number;
  @Field(() => Int) remaining!: number;
}

/** Units of one item handed out (or held) for one order or reservation; reverted ones are not listed. */
@ObjectType()
export class Dispense {
  orderId!: string | null;
  reservationId!: string | null;
  branchId!: string;
  itemId!: string;
  @Field(() => Int) quantity!: number;
  @Field() dispensedAt!: Date;
}

@ObjectType()
export class PrescriptionFulfilment {
  @Field(() => FulfilmentStatus) status!: FulfilmentStatus;
  @Field(() => [PrescriptionBalance]) lines!: PrescriptionBalance[];
  @Field(() => [Dispense]) dispenses!: Dispense[];
}
