import { Field, InputType } from 'type-graphql';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

@InputType()
export class DoctorFilter {
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(120) specialization?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(100) city?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(200) search?: string | null;
}

@InputType()
export class DoctorProfileInput {
  @Field() @IsString() @Length(2, 120) specialization!: string;
  @Field()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9\-/.]{2,63}$/, { message: 'licenseNumber must be 3..64 letters, digits, - / .' })
  licenseNumber!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(5000) biography?: string | null;
}
