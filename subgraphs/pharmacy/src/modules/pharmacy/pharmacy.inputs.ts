import { Field, InputType } from 'type-graphql';
import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';

@InputType()
export class PharmacyInput {
  @Field() @IsString() @Length(1, 200) name!: string;
  @Field() @IsString() @Length(1, 64) licenseNumber!: string;
  @Field() @IsString() @Length(1, 500) address!: string;
  @Field() @IsString() @Length(3, 40) phone!: string;
  @Field() @IsEmail() @MaxLength(254) email!: string;
}

@InputType()
export class BranchInput {
  @Field() @IsString() @Length(1, 200) name!: string;
  @Field() @IsString() @Length(1, 500) address!: string;
  @Field() @IsString() @Length(1, 100) city!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @Length(3, 40) phone?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @MaxLength(120) managerName?: string | null;
}
