import { Field, ID, InputType, Int } from 'type-graphql';
import { IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { AddressInput } from '@hc/graphql';

/** Quantities and item ids are checked in lines.ts, which names the offending line. */
@InputType()
export class OrderLineInput {
  @Field(() => ID) itemId!: string;
  @Field(() => Int) quantity!: number;
}

@InputType()
export class PlaceOrderInput {
  @Field(() => ID) @IsUUID() branchId!: string;
  @Field(() => [OrderLineInput]) items!: OrderLineInput[];
  @Field(() => AddressInput, { nullable: true }) @IsOptional() @ValidateNested() deliveryAddress?: AddressInput | null;
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() prescriptionId?: string | null;
}

@InputType()
export class ReserveInput {
  @Field(() => ID) @IsUUID() branchId!: string;
  @Field(() => [OrderLineInput]) items!: OrderLineInput[];
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() prescriptionId?: string | null;
}
