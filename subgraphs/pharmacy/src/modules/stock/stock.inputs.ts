import { Field, ID, InputType, Int } from 'type-graphql';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { DecimalScalar } from '@hc/graphql';

@InputType()
export class StockInput {
  @Field(() => ID) @IsUUID() branchId!: string;
  @Field(() => ID) @IsUUID() itemId!: string;
  @Field(() => Int) @IsInt() @Min(0) @Max(1_000_000) quantity!: number;
  /** Checked in the resolver: non-negative, at most 2 decimals, fits numeric(12,2). */
  @Field(() => DecimalScalar) price!: string;
  @Field(() => Int, { nullable: true }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) minStockLevel?: number | null;
}
