import { Field, Float, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('IntegrityFinding', { description: 'Where a chain is broken, and how' })
export class IntegrityFindingModel {
  @Field({ description: 'altered, deleted, inserted, reordered, truncated (cut off) or checkpoint (a signature that does not verify)' })
  kind!: string;
  @Field(() => Float, { description: 'The sequence number (place in the chain) of the first event found wrong' }) seq!: number;
  @Field(() => String, { nullable: true, description: 'That event’s id, when a stored row holds the place' }) eventId!: string | null;
  @Field({ description: 'What is wrong, in words' }) detail!: string;
}

@ObjectType('IntegrityChain', { description: 'One hash chain (one category of the tenant) walked for the range' })
export class IntegrityChainModel {
  @Field() category!: string;
  @Field({ description: 'No break found in the part walked' }) ok!: boolean;
  @Field(() => Float, { description: 'Events walked' }) checked!: number;
  @Field(() => Float, { description: 'First sequence number walked' }) firstSeq!: number;
  @Field(() => Float, { description: 'Last sequence number walked' }) lastSeq!: number;
  @Field({ description: 'Where the walk started: genesis, stored-link (the link before the range) or retention (an anchor)' })
  anchorKind!: string;
  @Field(() => Float) anchorSeq!: number;
  @Field(() => Int, { description: 'Signed checkpoints on the walked part whose link the chain matched' }) checkpoints!: number;
  @Field({ description: 'The walk stopped early (the event bound): the rest of this chain was not checked' }) stopped!: boolean;
  @Field(() => IntegrityFindingModel, { nullable: true }) finding!: IntegrityFindingModel | null;
}

@ObjectType('IntegrityReport', {
  description: 'A server-side verification of the caller’s tenant’s hash chains for a time range (docs/integrity.md)',
})
export class IntegrityReportModel {
  @Field() tenantId!: string;
  @Field() from!: string;
  @Field() to!: string;
  @Field(() => [String], { nullable: true, description: 'The categories asked for (null: all)' }) categories!: string[] | null;
  @Field({ description: 'No chain broken and no row without a place in the chain, in what was walked' }) ok!: boolean;
  @Field({ description: 'The whole range was walked; false when the event bound stopped the walk (see partial)' }) complete!: boolean;
  @Field(() => String, { nullable: true, description: 'Why the report covers only part of the range' }) partial!: string | null;
  @Field(() => Float, { description: 'Events walked over all chains' }) checked!: number;
  @Field(() => [IntegrityChainModel]) chains!: IntegrityChainModel[];
  @Field(() => [String], { description: 'Categories not walked at all because the event bound was reached' }) skippedCategories!: string[];
  @Field(() => Int, { description: 'Stored rows of the tenant in the range with no place in any chain (added outside Vigil)' })
  unchainedCount!: number;
  @Field(() => [String], { description: 'Ids of some of those rows' }) unchainedIds!: string[];
  @Field({ description: 'The checkpoints’ signatures were checked with the API’s public keys (VIGIL_CHAIN_SIGNING_KEYS)' })
  signaturesChecked!: boolean;
  @Field(() => Int, { description: 'How long the verification took, in milliseconds' }) durationMs!: number;
}
