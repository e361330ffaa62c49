import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Job counts of the notifications queue.' })
export class NotificationQueueStats {
  @Field(() => Int) waiting!: number;
  @Field(() => Int) active!: number;
  @Field(() => Int) delayed!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) completed!: number;
  @Field(() => Int) prioritized!: number;
}

@ObjectType({ description: 'A notification job that ended FAILED (variables are not shown).' })
export class FailedNotificationJob {
  @Field(() => ID) jobId!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
  @Field(() => String, { nullable: true }) template?: string | null;
  @Field(() => ID, { nullable: true }) userId?: string | null;
  @Field() failedReason!: string;
  @Field(() => Int) attemptsMade!: number;
  @Field(() => Date, { nullable: true }) failedAt?: Date | null;
}
