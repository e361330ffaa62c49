import { Field, InputType, Int } from 'type-graphql';
import {
  ArrayMaxSize,
  IsBoolean,
  IsEmail,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AddressInput, DecimalScalar } from '@hc/graphql';
import { DayOfWeek, WorkplaceType } from './workplace.entity.js';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

@InputType()
export class WorkingHoursInput {
  @Field(() => DayOfWeek) @IsEnum(DayOfWeek) day!: DayOfWeek;
  @Field() @Matches(HH_MM, { message: 'start must be HH:mm' }) start!: string;
  @Field() @Matches(HH_MM, { message: 'end must be HH:mm' }) end!: string;
}

@InputType()
export class WorkplaceInput {
  @Field() @IsString() @Length(1, 200) name!: string;
  @Field(() => WorkplaceType) @IsEnum(WorkplaceType) type!: WorkplaceType;
  @Field(() => Boolean, { nullable: true }) @IsOptional() @IsBoolean() isPrimary?: boolean | null;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(3, 40) phoneNumber?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsEmail() email?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(5000) description?: string | null;
  @Field(() => String, { nullable: true }) @IsOptional() @IsUrl() @MaxLength(500) website?: string | null;
  @Field() @IsString() @Length(1, 64) timeZone!: string;
  @Field(() => [WorkingHoursInput])
  @ArrayMaxSize(70)
  @ValidateNested({ each: true })
  workingHours!: WorkingHoursInput[];
  @Field(() => Int, { nullable: true, defaultValue: 30 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(240)
  slotDurationMinutes?: number | null;
  @Field(() => DecimalScalar, { nullable: true }) @IsOptional() consultationFee?: string | null;
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be ISO 4217, e.g. EGP' })
  currency?: string | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(100) servicesOffered?: string[] | null;
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(100) insuranceAccepted?: string[] | null;
  @Field(() => AddressInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  address?: AddressInput | null;
}
