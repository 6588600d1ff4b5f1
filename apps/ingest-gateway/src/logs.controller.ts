import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG } from '@vigil/config';
import { sendRefusal } from './events.controller';
import { IngestRefusal, mediaType, parseJsonBody, readBody } from './ingest-body.util';
import type { IngestGatewayConfig } from './ingest-gateway.config';
import { IngestService, type IngestAnswer } from './ingest.service';
import { countLogRecords, otlpLogsToItems } from '@vigil/ingest';
import { decodeLogsRequest, encodeLogsResponse } from './otlp-proto.schema';
import { ProducerAuthenticator } from './producer-auth.service';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** OTLP's partial success: how many records were not taken, and why (the first few, bounded). */
function partialSuccess(answer: IngestAnswer): { rejectedLogRecords: number; errorMessage: string } | undefined {
  const refused = answer.body.results.filter((r) => r.status !== 'accepted');
  if (refused.length === 0) return undefined;
  const reasons = refused
    .slice(0, 5)
    .map((r) =>
      r.status === 'rejected'
        ? `record ${r.index}: ${r.errors.map((e) => `${e.path || '(record)'}: ${e.rule}`).join('; ')}`
        : `record ${r.index}: ${r.error}`,
    );
  const more = refused.length > 5 ? ` (and ${refused.length - 5} more)` : '';
  return { rejectedLogRecords: refused.length, errorMessage: `${reasons.join(' | ')}${more}`.slice(0, 2000) };
}

/**
 * `POST /v1/logs`: OTLP/HTTP logs, protobuf (what the Collector's `otlphttp` exporter sends by default) or JSON, gzip
 * or not. Each log record becomes an event (otlp-logs.mapper.ts); records that cannot are counted in OTLP's
 * `partialSuccess` with their reasons. 200 only once Kafka acknowledged every accepted record; 503 (retry) otherwise.
 */
@Controller('v1')
export class LogsController {
  constructor(
    private readonly auth: ProducerAuthenticator,
    private readonly ingest: IngestService,
    private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: IngestGatewayConfig,
  ) {}

  @Post('logs')
  async logs(@Req() req: Request, @Res() res: Response): Promise<void> {
    let held = 0;
    const done = this.ingest.timer('logs');
    try {
      const producer = await this.auth.authenticate(req);
      const type = mediaType(req);
      if (type !== PROTOBUF && type !== JSON_TYPE)
        throw new IngestRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', `send OTLP as ${PROTOBUF} or ${JSON_TYPE}`);
      const body = await readBody(req, this.config.VIGIL_INGEST_MAX_BODY_BYTES, this.ingest.bodies);
      held = body.length;
      const request = type === PROTOBUF ? decodeProtobuf(body) : parseJsonBody(body);
      this.ingest.checkCount(countLogRecords(request));
      const answer = await this.ingest.ingestItems(producer, otlpLogsToItems(request, producer.tenantId));
      const partial = partialSuccess(answer);
      // 503 is what OTLP exporters retry: something valid was not published (Kafka), so the request is sent again.
      const status = answer.status === 503 ? 503 : 200;
      if (type === PROTOBUF)
        res
          .status(status)
          .type(PROTOBUF)
          .send(Buffer.from(encodeLogsResponse(partial)));
      else res.status(status).json(partial === undefined ? {} : { partialSuccess: partial });
    } catch (err) {
      sendRefusal(res, err, this.logger);
    } finally {
      this.ingest.bodies.release(held);
      done();
    }
  }
}

function decodeProtobuf(body: Buffer): unknown {
  try {
    return decodeLogsRequest(body);
  } catch (err) {
    throw new IngestRefusal(400, 'MALFORMED_PROTOBUF', `the body is not an OTLP ExportLogsServiceRequest: ${(err as Error).message}`);
  }
}
