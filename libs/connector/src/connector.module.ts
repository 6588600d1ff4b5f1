import { DynamicModule, Module } from '@nestjs/common';
import { ClockModule } from '@vigil/common';
import { APP_CONFIG, ConfigErrorCode, ConfigException, namedVariables } from '@vigil/config';
import { loadConnectorsOfType } from './connector-config.loader';
import type { ConnectorDefinition } from './connector-config.schema';
import { ConnectorStatusService } from './connector-status.service';
import { ConnectorErrorCode, ConnectorException } from './connector.exception';
import { ConnectorHealthIndicator } from './connector.health';
import { ConnectorService, type ConnectorModuleOptions } from './connector.service';
import { CONNECTOR_DEFINITIONS, CONNECTOR_MODULE_OPTIONS } from './connector.tokens';

/** The connectors of one type from the connectors file (VIGIL_CONFIG), their runners, status and readiness. */
@Module({})
export class ConnectorModule {
  static forRoot<Settings>(options: ConnectorModuleOptions<Settings>): DynamicModule {
    return {
      module: ConnectorModule,
      global: true,
      imports: [ClockModule],
      providers: [
        { provide: CONNECTOR_MODULE_OPTIONS, useValue: options },
        {
          provide: CONNECTOR_DEFINITIONS,
          inject: [APP_CONFIG],
          useFactory: (config: { VIGIL_CONFIG: string }): ConnectorDefinition<Settings>[] => {
            try {
              return loadConnectorsOfType(config.VIGIL_CONFIG, namedVariables, options.spec);
            } catch (err) {
              // Reported like a bad environment: the problems listed, no stack trace.
              if (err instanceof ConnectorException && err.code === ConnectorErrorCode.INVALID_CONFIG)
                throw new ConfigException(ConfigErrorCode.INVALID_ENVIRONMENT, err.problems.length > 0 ? [...err.problems] : [err.message]);
              throw err;
            }
          },
        },
        ConnectorStatusService,
        ConnectorHealthIndicator,
        ConnectorService,
      ],
      exports: [ConnectorStatusService, ConnectorHealthIndicator],
    };
  }
}
