import type { INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG, ConfigException } from '@vigil/config';
import { kafkaFailureHint } from './kafka-failure.util';
import { createLogger } from './logger.factory';

interface HttpConfig {
  HOST: string;
  PORT: number;
}

/**
 * Starts an app the same way everywhere: pino as Nest's logger, graceful shutdown on SIGTERM/SIGINT
 * (Nest closes modules in order, so consumers finish their batch before the process exits), and the
 * HTTP server on HOST:PORT. A bad environment exits 1 naming the variables, without a stack trace.
 */
function hintOf(err: unknown): string {
  const hint = kafkaFailureHint(err);
  return hint === undefined ? '' : `: ${hint}`;
}

export async function bootstrapApp(module: Type, name: string, options: NestApplicationOptions = {}): Promise<INestApplication> {
  try {
    const app = await NestFactory.create(module, { bufferLogs: true, abortOnError: false, ...options });
    app.useLogger(app.get(Logger));
    app.enableShutdownHooks();
    const config = app.get<HttpConfig>(APP_CONFIG);
    await app.listen(config.PORT, config.HOST);
    app.get(Logger).log(`${name} listening on http://${config.HOST}:${config.PORT} (health: /health, metrics: /metrics)`);
    return app;
  } catch (err) {
    const logger = createLogger(name);
    if (err instanceof ConfigException) logger.fatal({ problems: err.problems }, err.message);
    else logger.fatal({ err }, `${name} failed to start${hintOf(err)}`);
    process.exit(1);
  }
}
