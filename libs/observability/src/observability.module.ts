import { DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG } from '@vigil/config';
import { HealthController } from './health.controller';
import { READINESS_INDICATORS, type ReadinessIndicator } from './health.indicator';
import { loggerOptions } from './logger.factory';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

export interface ObservabilityOptions {
  /** The app's name in every log line. */
  name: string;
  /** Dependencies checked by /health/ready; each is provided by its own (global) module, e.g. KafkaModule. */
  readiness: readonly Type<ReadinessIndicator>[];
  /** Extra providers, e.g. an app-specific indicator that no other module provides. */
  providers?: readonly Provider[];
}

/** pino JSON logging, /metrics (Prometheus) and /health/{live,ready} for an app. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: { LOG_LEVEL?: string }) => ({
            pinoHttp: {
              ...loggerOptions(config.LOG_LEVEL ?? 'info', options.name),
              // Probes and scrapes every few seconds would drown the useful lines.
              autoLogging: { ignore: (req) => req.url?.startsWith('/health') === true || req.url === '/metrics' },
            },
          }),
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        MetricsService,
        ...(options.providers ?? []),
        {
          provide: READINESS_INDICATORS,
          inject: [...options.readiness],
          useFactory: (...indicators: ReadinessIndicator[]) => indicators,
        },
      ],
      // TerminusModule is re-exported so feature modules can build their own indicators.
      exports: [MetricsService, TerminusModule],
    };
  }
}
