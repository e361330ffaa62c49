import { Field, InputType } from 'type-graphql';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { DateScalar } from '@hc/graphql';

@InputType()
export class UpdateProfileInput {
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() @Length(1, 120) name?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsString() phone?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true }, { message: 'profilePictureUrl must be an http(s) URL' })
  @MaxLength(2000)
  profilePictureUrl?: string | null;
  @Field(() => DateScalar, { nullable: true }) @IsOptional() dateOfBirth?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(40) gender?: string | null;
}
