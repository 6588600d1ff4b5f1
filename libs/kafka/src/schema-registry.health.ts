import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { withTimeout, type ReadinessIndicator } from '@vigil/observability';
import { SCHEMA_REGISTRY_OPTIONS } from './kafka.tokens';
import { RegistryHttpClient } from './registry-http.client';
import type { SchemaRegistryOptions } from './schema-registry.client';

/** Ready when the registry lists its subjects, asked through the client the app uses (its credentials and TLS). */
@Injectable()
export class SchemaRegistryHealthIndicator implements ReadinessIndicator {
  readonly key = 'schemaRegistry';
  private readonly client: RegistryHttpClient;

  constructor(
    @Inject(SCHEMA_REGISTRY_OPTIONS) options: SchemaRegistryOptions,
    private readonly health: HealthIndicatorService,
  ) {
    this.client = new RegistryHttpClient({ ...options, timeoutMs: 3000 });
  }

  async check(): Promise<HealthIndicatorResult> {
    const session = this.health.check(this.key);
    try {
      await withTimeout(this.client.subjects(), 3500, 'Schema registry');
      return session.up();
    } catch (err) {
      return session.down({ message: (err as Error).message });
    }
  }
}
