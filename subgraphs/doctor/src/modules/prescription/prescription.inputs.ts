import { Field, ID, InputType, Int } from 'type-graphql';

// Checked in prescription.service.ts rather than with class-validator: errors name the exact
// line (`items[2].quantity`), which nested class-validator errors do not.

@InputType()
export class PrescriptionLineInput {
  @Field(() => ID) itemId!: string;
  @Field(() => Int) quantity!: number;
  @Field(() => String, { nullable: true }) dosageInstructions?: string | null;
}

@InputType()
export class IssuePrescriptionInput {
  @Field(() => ID) appointmentId!: string;
  @Field(() => [PrescriptionLineInput]) items!: PrescriptionLineInput[];
  @Field(() => String, { nullable: true }) notes?: string | null;
  @Field(() => Int, { nullable: true, defaultValue: 30, description: 'Days the prescription stays valid, 1..365.' })
  validDays?: number | null;
}
