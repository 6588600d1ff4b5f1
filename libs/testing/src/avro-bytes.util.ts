import { testEnv } from './stack.env';

/** An Avro long (zigzag varint), for tests that write hostile Avro bodies by hand. */
export function avroLong(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const bytes: number[] = [];
  while (z >= 0x80) {
    bytes.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  bytes.push(z);
  return Buffer.from(bytes);
}

/** A message in Confluent framing: magic byte 0, the 4-byte schema id, the body. */
export function confluentFramed(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

/**
 * An event's Avro body whose attributes (the last field, written empty in `bodyWithoutAttributes`) hold one entry
 * `k`: an array (branch 4 of the attribute union) that claims `count` items but carries one, `A`. avsc would
 * allocate for the claim before it found the body too short.
 */
export function withAttributeArrayClaiming(bodyWithoutAttributes: Buffer, count: number): Buffer {
  return Buffer.concat([
    bodyWithoutAttributes.subarray(0, bodyWithoutAttributes.length - 1),
    avroLong(1),
    avroLong(1),
    Buffer.from('k'),
    avroLong(4),
    avroLong(count),
    Buffer.from([2, 0x41, 0, 0]),
  ]);
}

/**
 * Registers a schema of another type (a JSON Schema, a Protobuf one) in the test registry and returns its id: a
 * producer's registry may hold any, and a message framed with that id must be refused as a decode error. The subject
 * is the same every run (registering the same schema again returns its id), so runs do not pile subjects up; the
 * schema stays, because messages in the test topics refer to its id.
 */
/** Deletes a subject a test registered (soft, then for good), so the test registry does not fill with them. */
export async function deleteSubject(subject: string): Promise<void> {
  const base = `${testEnv.schemaRegistryUrl}/subjects/${encodeURIComponent(subject)}`;
  await fetch(base, { method: 'DELETE' }).catch(() => undefined);
  await fetch(`${base}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
}

export async function registerForeignSchema(schemaType: 'JSON' | 'PROTOBUF', schema: string, subjectPrefix = 'foreign'): Promise<number> {
  const res = await fetch(`${testEnv.schemaRegistryUrl}/subjects/vigil-test-${subjectPrefix}-${schemaType.toLowerCase()}/versions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType, schema }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the registry refused the ${schemaType} schema: HTTP ${res.status} ${text}`);
  return (JSON.parse(text) as { id: number }).id;
}
