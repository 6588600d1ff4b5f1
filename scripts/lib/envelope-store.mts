// libs/store/src/generated/audit-event.columns.ts: audit_event's envelope columns, the row and record types and
// the two mappers between them and an event, from the Avro envelope (see envelope.mts for the x- properties).
import { envelopeFields, leavesOf, type GroupField, type Leaf } from './envelope.mts';

type Obj = { [key: string]: null | boolean | number | string | object };

/** The event property a leaf reads, through `?.` when its record may be null. */
function access(leaf: Leaf, groupNullable: boolean): string {
  return leaf.path.length === 1 ? `event.${leaf.path[0]}` : `event.${leaf.path[0]}${groupNullable ? '?.' : '.'}${leaf.path[1]}`;
}

function rowValue(leaf: Leaf, groupNullable: boolean): string {
  const a = access(leaf, groupNullable);
  const orNull = (expr: string): string => (leaf.nullable ? `${a} == null ? null : ${expr}` : expr);
  switch (leaf.kind) {
    case 'text':
      return orNull(`c.text(${a})`);
    case 'enum':
    case 'int':
      return leaf.nullable ? `${a} ?? null` : a;
    case 'timestamp':
      return orNull(`c.timestamp(${a}, '${leaf.path.join('.')}')`);
    case 'textArray':
      return orNull(`${a}.map(c.text)`);
    case 'json':
      return orNull(`c.json(${a})`);
  }
}

function recordValue(leaf: Leaf): string {
  const r = `r.${leaf.recordKey}`;
  return leaf.kind === 'timestamp' ? (leaf.nullable ? `${r} === null ? null : Number(${r})` : `Number(${r})`) : r;
}

const rowType = (leaf: Leaf): string => {
  const base = leaf.kind === 'json' ? 'string' : leaf.kind === 'timestamp' ? 'string' : leaf.recordType.replace(' | null', '');
  return leaf.nullable ? `${base} | null` : base;
};

function entityColumn(leaf: Leaf): string {
  const options = [
    ...(leaf.column !== leaf.rowKey ? [`name: '${leaf.column}'`] : []),
    `type: '${leaf.sqlType.replace('[]', '')}'`,
    ...(leaf.sqlType.endsWith('[]') ? ['array: true'] : []),
    ...(leaf.kind === 'timestamp' ? ['precision: 6'] : []),
    ...(leaf.nullable ? ['nullable: true'] : []),
    ...(leaf.sqlDefault ? [`default: () => \`${leaf.sqlDefault}\``] : []),
  ];
  return `  @${leaf.primary ? 'PrimaryColumn' : 'Column'}({ ${options.join(', ')} })\n  ${leaf.rowKey}!: ${leaf.entityType};`;
}

/** A row's column in COPY's text format, through the hand-written field writers (`EnvelopeCopyFields`). */
function copyValue(leaf: Leaf): string {
  const v = `r.${leaf.rowKey}`;
  switch (leaf.kind) {
    case 'int':
      return `f.number(${v})`;
    case 'textArray':
      return `f.array(${v})`;
    default:
      return `f.text(${v})`;
  }
}

export function storeColumnsTs(envelope: Obj, header: string): string {
  const fields = envelopeFields(envelope as never);
  const leaves = leavesOf(fields);
  const recordTypes = [...new Set(leaves.map((l) => l.recordType.match(/^([A-Z]\w*)\[\]/)?.[1]).filter((t) => t !== undefined))];
  const eventValue = (f: Leaf | GroupField): string => {
    if (!('leaves' in f)) return `    ${f.path[0]}: ${recordValue(f)},`;
    const inner = `{ ${f.leaves.map((l) => `${l.path[1]}: ${recordValue(l)}`).join(', ')} }`;
    if (!f.nullable) return `    ${f.name}: ${inner},`;
    const present = f.leaves.map((l) => `r.${l.recordKey} !== null`).join(' || ');
    return `    ${f.name}: ${present} ? ${inner} : null,`;
  };
  return [
    header,
    "import { Column, PrimaryColumn } from 'typeorm';",
    `import type { AttributeValue, AuditEvent, ${recordTypes.join(', ')} } from '@vigil/events';\n`,
    "/** The envelope's columns of audit_event in the envelope's field order: name, SQL type, key in the row. */",
    'export const ENVELOPE_COLUMNS = [',
    ...leaves.map((l) => `  { column: '${l.column}', sqlType: '${l.sqlType}', rowKey: '${l.rowKey}' },`),
    '] as const;\n',
    "/** The envelope's columns of a row as bound: times as ISO strings with microseconds, jsonb as JSON text. */",
    'export interface AuditEventEnvelopeRow {',
    ...leaves.map((l) => `  ${l.rowKey}: ${rowType(l)};`),
    '}\n',
    "/** The envelope's columns as selected: times as epoch-microsecond text (`<column>_us`), jsonb parsed. */",
    'export interface AuditEventEnvelopeRecord {',
    ...leaves.map((l) => `  ${l.recordKey}: ${l.recordType};`),
    '}\n',
    '/** How each kind of value is stored; the hand-written mapper decides (sanitising, precision). */',
    'export interface EnvelopeConverters {',
    '  text(value: string): string;',
    '  timestamp(micros: number, field: string): string;',
    '  json(value: unknown): string;',
    '}\n',
    "/** An event's envelope columns, each converted by its kind. */",
    'export function envelopeRow(event: AuditEvent, c: EnvelopeConverters): AuditEventEnvelopeRow {',
    '  return {',
    ...fields.flatMap((f) =>
      'leaves' in f ? f.leaves.map((l) => `    ${l.rowKey}: ${rowValue(l, f.nullable)},`) : [`    ${f.rowKey}: ${rowValue(f, false)},`],
    ),
    '  };',
    '}\n',
    "/** How a row's value is written in COPY's text format; the hand-written repository decides (escapes, arrays). */",
    'export interface EnvelopeCopyFields {',
    '  text(value: string | null): string;',
    '  number(value: number | null): string;',
    '  array(value: readonly string[]): string;',
    '}\n',
    "/** A row's envelope columns in COPY's text format, tab-separated, in `ENVELOPE_COLUMNS` order: one property read each. */",
    'export function envelopeCopyText(r: AuditEventEnvelopeRow, f: EnvelopeCopyFields): string {',
    `  return \`${leaves.map((l) => `\${${copyValue(l)}}`).join('\\t')}\`;`,
    '}\n',
    '/** The event fields of a selected row; a nullable record whose columns are all null reads back as null. */',
    'export function envelopeFromRecord(r: AuditEventEnvelopeRecord) {',
    '  return {',
    ...fields.map(eventValue),
    '  };',
    '}\n',
    "/** The envelope's columns as entity properties (AuditEventEntity extends it with the store's own columns). */",
    'export abstract class AuditEventEnvelopeColumns {',
    leaves.map(entityColumn).join('\n\n'),
    '}\n',
  ].join('\n');
}
