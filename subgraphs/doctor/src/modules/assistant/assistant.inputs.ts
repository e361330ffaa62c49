import { Field, ID, InputType } from 'type-graphql';
import { IsEmail, IsOptional, IsUUID, MaxLength } from 'class-validator';

@InputType()
export class InviteAssistantInput {
  @Field() @IsEmail() @MaxLength(320) assistantEmail!: string;
  @Field(() => ID) @IsUUID() workplaceId!: string;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(1000) message?: string | null;
}
