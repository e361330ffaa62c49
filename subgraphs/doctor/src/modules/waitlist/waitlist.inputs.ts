import { Field, ID, InputType } from 'type-graphql';

// Checked in waitlist.service.ts so each error names its field (from, to, workplaceId).
@InputType()
export class JoinWaitlistInput {
  @Field(() => ID) workplaceId!: string;
  @Field() from!: Date;
  @Field() to!: Date;
}
