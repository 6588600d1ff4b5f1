import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { PinoLogger } from 'nestjs-pino';
import type { StoredAuditEvent } from '@vigil/store';
import { anAuditEvent } from '@vigil/testing';
import type { Principal } from '../auth/principal.types';
import type { QueryApiConfig } from '../query-api.config';
import { EventsExportController } from './events-export.controller';

/** A response whose client took the headers and nothing more: every byte stays in its buffer, nothing finishes. */
class UnreadResponse extends Writable {
  statusCode = 0;

  constructor() {
    super({ highWaterMark: 1024 * 1024 });
  }

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  setHeader(): this {
    return this;
  }

  override _write(_chunk: unknown, _encoding: BufferEncoding, _done: (err?: Error) => void): void {
    // Never done: the client reads nothing.
  }
}

function stored(n: number): StoredAuditEvent {
  return {
    event: anAuditEvent({ tenantId: 'tenant-a', description: `row ${n}` }),
    origin: { topic: 'audit.authentication', partition: 0, offset: String(n) },
    ingestedAt: new Date(),
    chain: null,
  };
}

describe(EventsExportController.name, () => {
  it('ends an export whose rows are all read but whose client stops before taking the last of them', async () => {
    const warnings: string[] = [];
    const logger = { setContext: () => undefined, warn: (_fields: unknown, message: string) => warnings.push(message) };
    const config = { QUERY_API_EXPORT_STALL_MS: 50, QUERY_API_EXPORT_MAX_DURATION_MS: 60_000 } as QueryApiConfig;
    const controller = new EventsExportController(undefined as never, undefined as never, logger as unknown as PinoLogger, config);
    async function* rows(): AsyncGenerator<StoredAuditEvent> {
      for (let n = 1; n <= 3; n++) yield await Promise.resolve(stored(n));
    }
    const res = new UnreadResponse();
    const principal = { tenantId: 'tenant-a' } as Principal;
    // The private send: the rows fit in the response's buffer, so the body ends while the client still holds it up.
    const send = (controller as unknown as { send: (...args: unknown[]) => Promise<void> }).send.bind(controller);
    const started = Date.now();
    await send(rows(), 'ndjson', res, principal);
    assert.equal(res.statusCode, 200);
    assert.ok(res.destroyed, 'the connection is closed');
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(warnings, ['export ended: its client read nothing for QUERY_API_EXPORT_STALL_MS'], 'one line for one end');
  });
});
