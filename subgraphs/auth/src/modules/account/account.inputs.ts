import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { IsEmail, IsEnum, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { DateScalar } from '@hc/graphql';
import { Role, User } from '../user/user.entity.js';

export enum OtpChannel {
  EMAIL = 'EMAIL',
  WHATSAPP = 'WHATSAPP',
  SMS = 'SMS',
}
registerEnumType(OtpChannel, { name: 'OtpChannel' });

@InputType()
export class RegisterInput {
  @Field() @IsString() @Length(1, 120) name!: string;
  @Field() @IsEmail({}, { message: 'email must be a valid email address' }) @MaxLength(254) email!: string;
  @Field({ description: '8..72 bytes (UTF-8); longer is rejected, never truncated' }) @IsString() password!: string;
  @Field(() => String, { nullable: true, description: 'E.164; required when otpChannel is WHATSAPP or SMS' })
  @IsOptional()
  @IsString()
  phone?: string | null;
  @Field(() => Role, { description: 'ADMIN is refused' }) @IsEnum(Role) role!: Role;
  @Field(() => DateScalar, { nullable: true }) @IsOptional() dateOfBirth?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(40) gender?: string | null;
  @Field(() => OtpChannel, { nullable: true, defaultValue: OtpChannel.EMAIL })
  @IsOptional()
  @IsEnum(OtpChannel)
  otpChannel?: OtpChannel | null;
}

@ObjectType()
export class RegisterPayload {
  @Field(() => OtpChannel) otpChannel!: OtpChannel;
  @Field({ description: 'masked, e.g. "a***@example.com"' }) otpDestination!: string;
}

@ObjectType()
export class AuthPayload {
  @Field() accessToken!: string;
  @Field() refreshToken!: string;
  @Field(() => Int, { description: 'seconds until accessToken expires' }) expiresIn!: number;
  @Field(() => User) user!: User;
}
