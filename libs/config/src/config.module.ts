import { DynamicModule, Module } from '@nestjs/common';
import type { z } from 'zod';
import { loadConfig } from './config.loader';

/** Injection token of the validated configuration object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

@Module({})
export class ConfigModule {
  /** Validates the environment against the app's schema at module creation and provides it as APP_CONFIG. */
  static forRoot(schema: z.ZodObject<z.ZodRawShape>, env?: Readonly<Record<string, string | undefined>>): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: loadConfig(schema, env) }],
      exports: [APP_CONFIG],
    };
  }
}
