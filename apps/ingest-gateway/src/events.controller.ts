import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG } from '@vigil/config';
import { Inject } from '@nestjs/common';
import { IngestRefusal, mediaType, parseJsonBody, readBody } from './ingest-body.util';
import type { IngestGatewayConfig } from './ingest-gateway.config';
import { IngestService } from './ingest.service';
import { ProducerAuthenticator } from './producer-auth.service';

/** Writes a refusal as `{ error: { code, message } }` with its status and headers; anything else is a 500 that says little. */
export function sendRefusal(res: Response, err: unknown, logger: Logger): void {
  if (err instanceof IngestRefusal) {
    res
      .status(err.status)
      .set(err.headers)
      .json({ error: { code: err.code, message: err.message } });
    return;
  }
  logger.error({ err }, 'ingest request failed');
  res
    .status(500)
    .json({ error: { code: 'INTERNAL', message: 'the gateway failed to process the request; nothing from it was acknowledged' } });
}

/**
 * `POST /v1/events`: one event or an array, in Vigil's JSON envelope (docs/ingest.md). 202 once Kafka acknowledged
 * every accepted event; per-event results in the order sent.
 */
@Controller('v1')
export class EventsController {
  constructor(
    private readonly auth: ProducerAuthenticator,
    private readonly ingest: IngestService,
    private readonly logger: Logger,
    @Inject(APP_CONFIG) private readonly config: IngestGatewayConfig,
  ) {}

  @Post('events')
  @HttpCode(202)
  async events(@Req() req: Request, @Res() res: Response): Promise<void> {
    let held = 0;
    const done = this.ingest.timer('events');
    try {
      const producer = await this.auth.authenticate(req);
      if (mediaType(req) !== 'application/json')
        throw new IngestRefusal(415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json (one event or an array of events)');
      const raw = await readBody(req, this.config.VIGIL_INGEST_MAX_BODY_BYTES, this.ingest.bodies);
      held = raw.length;
      const body = parseJsonBody(raw);
      const answer = await this.ingest.ingest(producer, Array.isArray(body) ? body : [body], raw.length);
      res.status(answer.status).json(answer.body);
    } catch (err) {
      sendRefusal(res, err, this.logger);
    } finally {
      this.ingest.bodies.release(held);
      done();
    }
  }
}
