import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType('Me', { description: 'Who is signed in: the console shows it and offers the pages the role may use' })
export class MeModel {
  @Field()
  tenantId!: string;

  @Field({ description: 'analyst, ops, admin, platform-admin, producer or viewer' })
  role!: string;

  @Field({ description: 'API_KEY, JWT or VIEWER_TOKEN' })
  credential!: string;

  @Field(() => String, { nullable: true, description: 'When the credential expires, ISO-8601 (null for API keys)' })
  expiresAt!: string | null;

  @Field(() => String, { nullable: true, description: 'A viewer token’s actor restriction' })
  actorId!: string | null;

  @Field(() => String, { nullable: true, description: 'A viewer token’s target restriction (type)' })
  targetType!: string | null;

  @Field(() => String, { nullable: true, description: 'A viewer token’s target restriction (id)' })
  targetId!: string | null;
}
