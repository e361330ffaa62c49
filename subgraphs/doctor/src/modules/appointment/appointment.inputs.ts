import { Field, ID, InputType } from 'type-graphql';
import { IsOptional, IsUUID, MaxLength } from 'class-validator';

@InputType()
export class BookAppointmentInput {
  @Field(() => ID) @IsUUID() workplaceId!: string;
  @Field() startsAt!: Date;
  @Field(() => String, { nullable: true }) @IsOptional() @MaxLength(2000) notes?: string | null;
  @Field(() => ID, { nullable: true, description: 'When an assistant or doctor books for a patient' })
  @IsOptional()
  @IsUUID()
  patientId?: string | null;
}
