import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { IsBoolean, IsEnum, IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** Types the contract uses in several subgraphs; declared once so they compose identically. */
export enum AddressType {
  HOME = 'HOME',
  WORK = 'WORK',
  BILLING = 'BILLING',
  SHIPPING = 'SHIPPING',
  CLINIC = 'CLINIC',
  OTHER = 'OTHER',
}
registerEnumType(AddressType, { name: 'AddressType' });

@ObjectType()
@Directive('@shareable')
export class Address {
  @Field(() => ID) id!: string;
  @Field(() => AddressType) type!: AddressType;
  @Field() street!: string;
  @Field() city!: string;
  @Field(() => String, { nullable: true }) state?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field() country!: string;
  @Field() isDefault!: boolean;
}

@InputType()
export class AddressInput {
  @Field(() => AddressType) @IsEnum(AddressType) type!: AddressType;
  @Field() @IsString() @Length(1, 200) street!: string;
  @Field() @IsString() @Length(1, 100) city!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) state?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20) postalCode?: string | null;
  @Field() @IsString() @Length(2, 100) country!: string;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() isDefault?: boolean | null;
}
