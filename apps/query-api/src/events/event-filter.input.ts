import { Field, InputType } from '@nestjs/graphql';
import type { EventFilterFields } from './event-filter.validator';
import { OutcomeEnum } from './event-scalars.model';

@InputType('EventFilter', { description: 'Which events: a time range (at most QUERY_API_MAX_SPAN_DAYS) and optional filters, all ANDed' })
export class EventFilterInput implements EventFilterFields {
  @Field({ description: 'Inclusive start, ISO-8601 (2026-11-21T08:00:00Z)' }) from!: string;
  @Field(() => String, { nullable: true, description: 'Exclusive end, ISO-8601; default now' }) to?: string | null;
  @Field(() => [String], { nullable: true }) categories?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Exact actions, or prefixes ending in .* (user.login.*)' }) actions?:
    string[] | null;
  @Field(() => OutcomeEnum, { nullable: true }) outcome?: string | null;
  @Field(() => String, { nullable: true }) actorId?: string | null;
  @Field(() => String, { nullable: true }) actorName?: string | null;
  @Field(() => String, { nullable: true }) targetType?: string | null;
  @Field(() => String, { nullable: true }) targetId?: string | null;
  @Field(() => String, { nullable: true, description: 'An address (10.1.2.3) or a CIDR network (10.1.0.0/16)' }) clientIp?: string | null;
  @Field(() => String, { nullable: true, description: 'Service name' }) service?: string | null;
  @Field(() => String, { nullable: true }) correlationId?: string | null;
  @Field(() => String, { nullable: true }) traceId?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'Case-insensitive substring of the description, an attribute key or an attribute value (2 to 200 characters, no control characters)',
  })
  text?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'The platform-admin role only: every tenant instead of the caller’s own' })
  allTenants?: boolean | null;
}
