import { Field, InputType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { NotificationChannel, VariableType } from './template.entity.js';

@InputType()
export class TemplateVariableInput {
  @Field()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,49}$/, { message: 'variable names are identifiers (letters, digits, _)' })
  name!: string;

  @Field(() => VariableType)
  type!: VariableType;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500)
  defaultValue?: string | null;

  @Field(() => Boolean, { nullable: true })
  isRequired?: boolean | null;
}

@InputType()
export class TemplateInput {
  @Field()
  @Matches(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, { message: 'name looks like "area.event", e.g. "appointment.booked"' })
  @MaxLength(100)
  name!: string;

  @Field(() => NotificationChannel)
  channel!: NotificationChannel;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(200)
  subject?: string | null;

  @Field()
  @Length(1, 20_000)
  content!: string;

  @Field(() => [TemplateVariableInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  variables?: TemplateVariableInput[] | null;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean | null;
}
