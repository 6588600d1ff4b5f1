import protobuf from 'protobufjs';

// OTLP's logs messages (opentelemetry-proto v1: collector/logs/v1/logs_service.proto, logs/v1/logs.proto,
// common/v1/common.proto, resource/v1/resource.proto), as protobufjs reflection JSON with the field numbers of the
// .proto files and the field names of OTLP's JSON mapping, so a decoded protobuf request has the shape a JSON one has.
const kv = { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } };

const root = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
        ExportLogsServiceResponse: { fields: { partialSuccess: { type: 'ExportLogsPartialSuccess', id: 1 } } },
        ExportLogsPartialSuccess: {
          fields: { rejectedLogRecords: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } },
        },
        ResourceLogs: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        Resource: {
          fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 } },
        },
        ScopeLogs: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        InstrumentationScope: {
          fields: {
            name: { type: 'string', id: 1 },
            version: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        LogRecord: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            observedTimeUnixNano: { type: 'fixed64', id: 11 },
            severityNumber: { type: 'int32', id: 2 },
            severityText: { type: 'string', id: 3 },
            body: { type: 'AnyValue', id: 5 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 6 },
            droppedAttributesCount: { type: 'uint32', id: 7 },
            flags: { type: 'fixed32', id: 8 },
            traceId: { type: 'bytes', id: 9 },
            spanId: { type: 'bytes', id: 10 },
            eventName: { type: 'string', id: 12 },
          },
        },
        KeyValue: { fields: kv },
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
      },
    },
  },
});

const requestType = root.lookupType('otlp.ExportLogsServiceRequest');
const responseType = root.lookupType('otlp.ExportLogsServiceResponse');

/** A protobuf ExportLogsServiceRequest as OTLP/JSON's shape: int64 as strings, trace and span ids as hex. */
export function decodeLogsRequest(body: Uint8Array): unknown {
  const message = requestType.decode(body);
  const plain = requestType.toObject(message, { longs: String, bytes: Buffer, defaults: false, oneofs: false }) as Record<string, unknown>;
  return hexIds(plain);
}

/** Replaces every `traceId`/`spanId` Buffer with its hex, and any other bytes value with base64 (OTLP/JSON's rule). */
function hexIds(value: unknown, key = ''): unknown {
  if (Buffer.isBuffer(value)) return key === 'traceId' || key === 'spanId' ? value.toString('hex') : value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => hexIds(v));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexIds(v, k)]));
  return value;
}

/** The protobuf ExportLogsServiceResponse: empty on full success, else the partial success. */
export function encodeLogsResponse(partial: { rejectedLogRecords: number; errorMessage: string } | undefined): Uint8Array {
  return responseType.encode(responseType.fromObject(partial === undefined ? {} : { partialSuccess: partial })).finish();
}
