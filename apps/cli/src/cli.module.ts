import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { OperationsModule } from '@vigil/operations';
import { cliConfig, operationsOptions, type CliConfig } from './cli.config';

/** The CLI's Nest context: the operations use-cases configured from the CLI's environment. */
@Module({})
export class CliModule {
  static forRoot(config: CliConfig): DynamicModule {
    return { module: CliModule, imports: [OperationsModule.forRoot(operationsOptions(config))] };
  }
}

/**
 * Runs one command in a standalone Nest application context, created when the command runs (so `--help` needs no
 * valid environment) and closed after it, which disconnects every Kafka client the command used.
 */
export async function withOperations<T>(work: (app: INestApplicationContext, config: CliConfig) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false, abortOnError: false });
  try {
    return await work(app, config);
  } finally {
    await app.close();
  }
}
