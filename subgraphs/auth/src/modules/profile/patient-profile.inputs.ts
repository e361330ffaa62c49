import { Field, InputType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, IsString, MaxLength } from 'class-validator';

@InputType()
export class PatientProfileInput {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) emergencyContact?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) insuranceInfo?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(20000) medicalHistory?: string | null;
  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allergies?: string[] | null;
}
