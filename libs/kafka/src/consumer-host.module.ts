import { Module, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { PinoLogger } from 'nestjs-pino';
import { ClockModule } from '@vigil/common';
import { kafkaFailureHint } from '@vigil/observability';
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
      this.transport.start().catch(async (err: unknown) => {
        const hint = kafkaFailureHint(err);
        if (hint === undefined) {
          this.logger.logger.error({ err }, 'consumer host failed to start');
          return;
        }
        // Credentials, ACLs and certificates do not fix themselves: a host that stayed up would do nothing while
        // /health/live said it was fine. Exit, naming what to change, so the supervisor and the operator see it.
        this.logger.logger.fatal({ err }, `consumer host failed to start: ${hint}; exiting`);
        await this.transport.close().catch(() => undefined);
        process.exit(1);
      });
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}
