// apps/query-api/src/generated/audit-event.model.ts: the GraphQL object types of the envelope (code first, so
// Nest prints them into schema.gql) and the mapper from a decoded event, from the Avro envelope.
import { unwrapNull } from './envelope.mts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

interface GqlField {
  decorator: string;
  property: string;
  /** The mapper's expression for this field from `source`. */
  value: (source: string) => string;
}

class ModelWriter {
  readonly classes: string[] = [];
  readonly mappers: string[] = [];
  readonly enums = new Set<string>();
  private readonly emitted = new Set<string>();

  /** The GraphQL field of an Avro field, emitting the object type of a record field once. */
  field(field: Obj, path: string): GqlField {
    const name = field['name'] as string;
    const [type, nullable] = unwrapNull(field['type'] ?? null);
    const gql = (field['x-graphql'] ?? {}) as Obj;
    const description = typeof gql['description'] === 'string' ? gql['description'] : undefined;
    const t = type as Obj | string;
    const avro = typeof t === 'string' ? t : (t['type'] as string);
    const logical = typeof t === 'object' ? t['logicalType'] : undefined;
    let gqlType: string;
    let tsType: string;
    let value = (s: string): string => `${s}.${name}`;
    if (type === 'PAYLOAD' || avro === 'map') [gqlType, tsType] = ['JsonScalar', 'unknown'];
    else if (logical === 'timestamp-micros') {
      [gqlType, tsType] = ['String', 'string'];
      value = (s) => (nullable ? `${s}.${name} == null ? null : ` : '') + `microsToTimestamp(${s}.${name}, '${path}${name}')`;
    } else if (avro === 'string' || avro === 'enum') [gqlType, tsType] = ['String', 'string'];
    else if (avro === 'int' || avro === 'long') [gqlType, tsType] = ['Int', 'number'];
    else if (avro === 'boolean') [gqlType, tsType] = ['Boolean', 'boolean'];
    else if (avro === 'record') {
      const model = this.record(t as Obj);
      [gqlType, tsType] = [model, model];
      value = (s) =>
        nullable ? `${s}.${name} ? ${this.mapperName(model)}(${s}.${name}) : null` : `${this.mapperName(model)}(${s}.${name})`;
    } else if (avro === 'array') {
      const items = (t as Obj)['items'] as Json;
      if (items === 'string') [gqlType, tsType] = ['[String]', 'string[]'];
      else {
        const model = this.record(items as Obj);
        [gqlType, tsType] = [`[${model}]`, `${model}[]`];
        value = (s) => `${s}.${name}.map(${this.mapperName(model)})`;
      }
    } else throw new Error(`envelope field ${name}: no GraphQL mapping for Avro type ${JSON.stringify(type)}`);
    if (typeof gql['type'] === 'string') {
      gqlType = gql['type'] === 'ID' ? 'ID' : `${gql['type']}Enum`;
      if (gqlType !== 'ID') this.enums.add(gqlType);
    }
    const options = [...(nullable ? ['nullable: true'] : []), ...(description ? [`description: ${JSON.stringify(description)}`] : [])];
    const args = [`() => ${gqlType}`, ...(options.length ? [`{ ${options.join(', ')} }`] : [])];
    const ts = nullable ? `${tsType} | null` : tsType;
    return { decorator: `@Field(${args.join(', ')})`, property: `${name}!: ${ts};`, value };
  }

  mapperName(model: string): string {
    return `to${model}`;
  }

  /** `@ObjectType('<Avro name>') class <Avro name>Model`, and its mapper from the decoded record. */
  record(schema: Obj, options: { abstract?: string } = {}): string {
    const avroName = schema['name'] as string;
    const model = options.abstract ?? `${avroName}Model`;
    if (this.emitted.has(model)) return model;
    this.emitted.add(model);
    const fields = (schema['fields'] as Obj[]).map((f) => this.field(f, options.abstract ? '' : `${avroName}.`));
    const decorator = options.abstract ? '@ObjectType({ isAbstract: true })' : `@ObjectType('${avroName}')`;
    const keyword = options.abstract ? 'export abstract class' : 'export class';
    this.classes.push(`${decorator}\n${keyword} ${model} {\n${fields.map((f) => `  ${f.decorator} ${f.property}`).join('\n')}\n}\n`);
    const source = options.abstract ? 'AuditEvent' : avroName;
    const names = (schema['fields'] as Obj[]).map((f) => f['name'] as string);
    this.mappers.push(
      `/** A decoded ${avroName} as its GraphQL type. */\nexport function ${this.mapperName(model)}(v: ${source}): ${model} {\n  return {\n${names
        .map((n, i) => `    ${n}: ${fields[i]?.value('v') ?? ''},`)
        .join('\n')}\n  };\n}\n`,
    );
    return model;
  }
}

export function graphqlModelTs(envelope: Obj, header: string): string {
  const writer = new ModelWriter();
  writer.record(envelope, { abstract: 'AuditEventFieldsModel' });
  const avroTypes = [...new Set([...writer.mappers.join('\n').matchAll(/\(v: (\w+)\)/g)].map((m) => m[1]))].sort();
  return [
    header,
    "import { Field, ID, Int, ObjectType } from '@nestjs/graphql';",
    `import type { ${avroTypes.join(', ')} } from '@vigil/events';`,
    "import { microsToTimestamp } from '@vigil/store';",
    `import { JsonScalar${[...writer.enums].map((e) => `, ${e}`).join('')} } from '../events/event-scalars.model';\n`,
    ...writer.classes,
    ...writer.mappers,
  ].join('\n');
}
