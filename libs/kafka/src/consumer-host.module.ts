import { Module, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { PinoLogger } from 'nestjs-pino';
import { ClockModule } from '@vigil/common';
import { AuditBatchTransport } from './audit-batch.strategy';

/**
 * Runs the app's `@AuditBatchHandler` methods: starts the transport once the app listens, i.e. after every
 * module's bootstrap hook (partition maintenance must not queue behind a flood of inserts), and stops its
 * consumers before any module's shutdown hook (the handlers' pools and producers are still open then). An app
 * without HTTP connects the transport instead: `app.connectMicroservice({ strategy })`. Needs KafkaModule.
 */
@Module({
  imports: [DiscoveryModule, ClockModule],
  providers: [AuditBatchTransport],
  exports: [AuditBatchTransport],
})
export class ConsumerHostModule implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    private readonly transport: AuditBatchTransport,
    private readonly http: HttpAdapterHost,
    private readonly logger: PinoLogger,
  ) {}

  onModuleInit(): void {
    this.http.listen$.subscribe(() => {
      this.transport.start().catch((err: unknown) => this.logger.logger.error({ err }, 'consumer host failed to start'));
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}
