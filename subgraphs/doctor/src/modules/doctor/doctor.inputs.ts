import { Field, InputType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';

@InputType()
export class DoctorFilter {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(120) specialization?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) city?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) search?: string | null;
}
