import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';

@InputType('CreateViewerTokenInput', {
  description: 'Whom a viewer token lets read: one tenant, optionally only one actor’s and/or one target’s events',
})
export class CreateViewerTokenInput {
  @Field(() => String, { nullable: true, description: 'The tenant; default the caller’s own (only platform-admin may name another)' })
  tenantId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events of this actor (actor.id)' })
  actorId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events with this target (with targetId)' })
  targetType?: string | null;

  @Field(() => String, { nullable: true, description: 'Only events with this target (with targetType)' })
  targetId?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Lifetime in seconds: default 900, at least 60, at most QUERY_API_VIEWER_TOKEN_MAX_TTL_SECONDS (3600)',
  })
  ttlSeconds?: number | null;
}

@ObjectType('ViewerToken', { description: 'A short-lived, read-only token for the embedded console; shown once, never stored' })
export class ViewerTokenModel {
  @Field({ description: 'Send it as Authorization: Bearer <token> (or in graphql-ws connection_init)' })
  token!: string;

  @Field({ description: 'When it stops working, ISO-8601' })
  expiresAt!: string;

  @Field()
  tenantId!: string;
}
