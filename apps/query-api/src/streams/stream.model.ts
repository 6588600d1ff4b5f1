import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { STREAM_STATES, type StreamState } from '@vigil/streams';
import { JsonScalar } from '../events/event.model';

export const StreamStateEnum = Object.fromEntries(STREAM_STATES.map((s) => [s.toUpperCase(), s])) as Record<string, StreamState>;
registerEnumType(StreamStateEnum, {
  name: 'StreamState',
  description:
    'ACTIVE: delivering as events arrive; CATCHING_UP: reading from its own checkpoint to rejoin; FAILING: the SIEM refuses or does not answer, probed with backoff; PAUSED: disabled by the customer; SUSPENDED: refused the credentials too many times, waits for new secrets or an enable',
});

@ObjectType('StreamActions')
export class StreamActionsModel {
  @Field(() => [String]) include!: string[];
  @Field(() => [String]) exclude!: string[];
}

@ObjectType('StreamHealth', { description: 'As the streams app last reported it (every few seconds)' })
export class StreamHealthModel {
  @Field(() => StreamStateEnum) state!: StreamState;
  @Field(() => String, { nullable: true, description: 'Why the stream is not active' }) reason!: string | null;
  @Field(() => String, { nullable: true, description: 'What to do about it' }) recovery!: string | null;
  @Field(() => Float, {
    description: 'Records on the stream’s topics not passed yet (every tenant’s: an upper bound on this stream’s events)',
  })
  lagEvents!: number;
  @Field(() => Float, { description: 'How far behind the deliveries are, in seconds' }) lagSeconds!: number;
  @Field(() => Float, { description: 'Events the SIEM accepted in the last 24 hours' }) delivered24h!: number;
  @Field(() => Float, { description: 'Events the SIEM refused on their own, kept in the dead-letter topic' }) deadLettered!: number;
  @Field(() => String, { nullable: true }) lastSuccessAt!: string | null;
  @Field(() => String, { nullable: true }) lastErrorAt!: string | null;
  @Field(() => String, { nullable: true, description: 'The SIEM’s last error as it said it (bounded, secrets never included)' })
  lastError!: string | null;
  @Field() updatedAt!: string;
}

@ObjectType('Stream', { description: 'A SIEM stream of one tenant: only that tenant’s events reach it. Secrets are write-only.' })
export class StreamModel {
  @Field(() => ID) id!: string;
  @Field() tenantId!: string;
  @Field() name!: string;
  @Field({ description: 'Sink type: splunk (HEC), http (webhook, OTLP), datadog, sentinel or elasticsearch' }) type!: string;
  @Field() enabled!: boolean;
  @Field(() => [String], { nullable: true, description: 'Categories sent (null: all)' }) categories!: string[] | null;
  @Field(() => StreamActionsModel) actions!: StreamActionsModel;
  @Field() minSeverity!: string;
  @Field(() => String, { nullable: true }) format!: string | null;
  @Field(() => JsonScalar, { nullable: true }) extraFields!: unknown;
  @Field(() => JsonScalar, { description: 'The sink’s settings, without secrets' }) settings!: unknown;
  @Field(() => [String], { description: 'Names of the secrets set (their values are never returned)' }) secretNames!: string[];
  @Field(() => Int) version!: number;
  @Field(() => String, { nullable: true }) suspendedAt!: string | null;
  @Field() createdAt!: string;
  @Field() createdBy!: string;
  @Field() updatedAt!: string;
  @Field() updatedBy!: string;
  @Field(() => StreamHealthModel, { nullable: true, description: 'Null until the streams app has run the stream' })
  health!: StreamHealthModel | null;
}

@ObjectType('StreamTestResult')
export class StreamTestResultModel {
  @Field() ok!: boolean;
  @Field({ description: 'ok, retryable, auth-failed, rejected or unreachable' }) outcome!: string;
  @Field({ description: 'The SIEM’s answer' }) message!: string;
  @Field({ description: 'Id of the stream.tested event that was sent' }) eventId!: string;
}

@InputType('StreamActionsInput')
export class StreamActionsInput {
  @Field(() => [String], { nullable: true, description: 'Action patterns to send, e.g. user.login.* (default *)' }) include?: string[];
  @Field(() => [String], { nullable: true }) exclude?: string[];
}

@InputType('StreamFiltersInput')
export class StreamFiltersInput {
  @Field(() => [String], { nullable: true }) categories?: string[];
  @Field(() => StreamActionsInput, { nullable: true }) actions?: StreamActionsInput;
  @Field(() => String, { nullable: true }) minSeverity?: string;
  @Field(() => String, { nullable: true, description: 'Output format (splunk: hec; http: native, ecs or otlp)' }) format?: string;
  @Field(() => JsonScalar, { nullable: true, description: '{ paths: [...], prefix } as for connectors' }) extraFields?: unknown;
  @Field(() => JsonScalar, { nullable: true, description: 'The sink’s settings block without secrets, e.g. { url, index }' })
  settings?: unknown;
}

@InputType('CreateStreamInput')
export class CreateStreamInput extends StreamFiltersInput {
  @Field(() => String, { nullable: true, description: 'Platform admins only: the tenant (default: the caller’s)' }) tenantId?: string;
  @Field() name!: string;
  @Field({ description: 'splunk, http, datadog, sentinel or elasticsearch' }) type!: string;
  @Field(() => Boolean, { nullable: true, defaultValue: true }) enabled?: boolean;
  @Field(() => JsonScalar, {
    nullable: true,
    description: 'Write-only, e.g. { "token": "..." } or { "headers.Authorization": "Bearer ..." }',
  })
  secrets?: unknown;
}

@InputType('UpdateStreamInput')
export class UpdateStreamInput extends StreamFiltersInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => JsonScalar, {
    nullable: true,
    description: 'Secrets to set; a name set to null removes it; names left out keep their value',
  })
  secrets?: unknown;
}
