import { Field, ID, InputType } from 'type-graphql';
import { IsBoolean, IsOptional, IsString, IsUUID, IsUrl, Length, MaxLength, ValidateNested } from 'class-validator';

@InputType()
export class MedicineInput {
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(100) dosage?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(100) form?: string | null;
  @Field() @IsBoolean() prescriptionRequired!: boolean;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(2000) sideEffects?: string | null;
}

@InputType()
export class ItemInput {
  @Field(() => ID, { nullable: true }) @IsOptional() @IsUUID() categoryId?: string | null;
  @Field() @IsString() @Length(1, 200) name!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(200) manufacturer?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(5000) description?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsUrl() @MaxLength(2000) imageUrl?: string | null;
  @Field(() => MedicineInput, { nullable: true }) @IsOptional() @ValidateNested() medicine?: MedicineInput | null;
}
