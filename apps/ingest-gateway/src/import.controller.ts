import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG } from '@vigil/config';
import { IMPORT_FORMATS, importRecords, isImportFormat } from '@vigil/ingest';
import { sendRefusal } from './events.controller';
import { IngestRefusal, mediaType, readBody } from './ingest-body.util';
import type { IngestGatewayConfig } from './ingest-gateway.config';
import { IngestService } from './ingest.service';
import { ProducerAuthenticator } from './producer-auth.service';

const TYPES = new Set(['application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain', '']);

/**
 * `POST /v1/import/{format}`: records in a vendor's own audit-log shape (logichub, closer, thoughtspot, strivacity),
 * as a JSON array, NDJSON or objects one after the other. Answers like /v1/events, each result with the line its
 * record starts on, so a broken record in a file is found by line and the rest still lands.
 */
@Controller('v1/import')
export class ImportController {
  constructor(
    private readonly auth: ProducerAuthenticator,
    private readonly ingest: IngestService,
    private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: IngestGatewayConfig,
  ) {}

  @Post(':format')
  async import(@Param('format') format: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    let held = 0;
    const done = this.ingest.timer('import');
    try {
      const producer = await this.auth.authenticate(req);
      if (!isImportFormat(format))
        throw new IngestRefusal(
          404,
          'UNKNOWN_FORMAT',
          `no import format "${format.slice(0, 40)}"; Vigil reads ${IMPORT_FORMATS.join(', ')}`,
        );
      if (!TYPES.has(mediaType(req)))
        throw new IngestRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json, application/x-ndjson or text/plain');
      const body = await readBody(req, this.config.VIGIL_INGEST_MAX_BODY_BYTES, this.ingest.bodies);
      held = body.length;
      const records = importRecords(format, body.toString('utf8'), producer.tenantId);
      const answer = await this.ingest.ingestItems(
        producer,
        records.map((r) => r.item),
      );
      const results = answer.body.results.map((r) => ({ line: records[r.index]?.line, ...r }));
      res.status(answer.status).json({ ...answer.body, results });
    } catch (err) {
      sendRefusal(res, err, this.logger);
    } finally {
      this.ingest.bodies.release(held);
      done();
    }
  }
}
