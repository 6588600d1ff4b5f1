import {
  Global,
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditInterceptor } from './audit.interceptor';
import type { AuditModuleAsyncOptions, AuditModuleOptions } from './audit-module.types';
import { AuditOutboxRepository } from './audit-outbox.repository';
import { AuditPublisher } from './audit.publisher';
import { AUDIT_MODULE_OPTIONS } from './audit.tokens';
import { OutboxRelay } from './outbox.relay';

/**
 * The audit SDK in a NestJS app: a global AuditPublisher and AuditOutboxRepository, the @Audited
 * interceptor, and (with `outbox`) the outbox relay. At shutdown the relay stops and the publisher
 * delivers everything queued before it disconnects.
 */
@Global()
@Module({})
export class AuditModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private relay: OutboxRelay | undefined;

  constructor(
    @Inject(AUDIT_MODULE_OPTIONS) private readonly options: AuditModuleOptions,
    private readonly publisher: AuditPublisher,
  ) {}

  static forRoot(options: AuditModuleOptions): DynamicModule {
    return AuditModule.build({ provide: AUDIT_MODULE_OPTIONS, useValue: options }, []);
  }

  /** Options from other providers, e.g. `inject: [APP_CONFIG, DataSource]`. */
  static forRootAsync(options: AuditModuleAsyncOptions): DynamicModule {
    // Nest passes the injected values positionally; the factory's own signature types them.
    const useFactory = options.useFactory as (...args: unknown[]) => AuditModuleOptions | Promise<AuditModuleOptions>;
    return AuditModule.build({ provide: AUDIT_MODULE_OPTIONS, useFactory, inject: options.inject ?? [] }, options.imports ?? []);
  }

  private static build(optionsProvider: Provider, imports: NonNullable<AuditModuleAsyncOptions['imports']>): DynamicModule {
    return {
      module: AuditModule,
      global: true,
      imports,
      providers: [
        optionsProvider,
        {
          provide: AuditPublisher,
          inject: [AUDIT_MODULE_OPTIONS],
          useFactory: (options: AuditModuleOptions) => new AuditPublisher(options),
        },
        {
          provide: AuditOutboxRepository,
          inject: [AuditPublisher],
          useFactory: (publisher: AuditPublisher) => new AuditOutboxRepository(publisher),
        },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
      exports: [AUDIT_MODULE_OPTIONS, AuditPublisher, AuditOutboxRepository],
    };
  }

  onApplicationBootstrap(): void {
    const outbox = this.options.outbox;
    if (outbox === undefined || outbox.relay === false) return;
    this.relay = new OutboxRelay(outbox.dataSource, this.publisher, {
      ...(outbox.batchSize !== undefined ? { batchSize: outbox.batchSize } : {}),
      ...(outbox.maxAttempts !== undefined ? { maxAttempts: outbox.maxAttempts } : {}),
      ...(outbox.pollIntervalMs !== undefined ? { pollIntervalMs: outbox.pollIntervalMs } : {}),
      ...(outbox.listen !== undefined ? { listen: outbox.listen } : {}),
      ...(this.options.logger !== undefined ? { logger: this.options.logger } : {}),
    });
    this.relay.start();
  }

  /** Before any onApplicationShutdown: the relay must finish while TypeORM's DataSource is still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }

  /** After the HTTP server closed: nothing publishes any more, so close() delivers the last events. */
  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
