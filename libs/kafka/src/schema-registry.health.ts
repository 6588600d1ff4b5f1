import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { withTimeout, type ReadinessIndicator } from '@vigil/observability';
import { SCHEMA_REGISTRY_OPTIONS } from './kafka.tokens';
import { fetchFailure, registryFetch, type RegistryFetch } from './registry-fetch.util';
import type { SchemaRegistryOptions } from './schema-registry.client';

/** Ready when the registry lists its subjects (the same API the serializers use). */
@Injectable()
export class SchemaRegistryHealthIndicator implements ReadinessIndicator {
  readonly key = 'schemaRegistry';
  private readonly fetch: RegistryFetch;

  constructor(
    @Inject(SCHEMA_REGISTRY_OPTIONS) private readonly options: SchemaRegistryOptions,
    private readonly health: HealthIndicatorService,
  ) {
    this.fetch = registryFetch(options.tls);
  }

  async check(): Promise<HealthIndicatorResult> {
    const session = this.health.check(this.key);
    try {
      const headers: Record<string, string> = {};
      if (this.options.username !== undefined) {
        headers['Authorization'] = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}`;
      }
      const res = await withTimeout(
        this.fetch(`${this.options.url}/subjects`, { headers, signal: AbortSignal.timeout(3000) }),
        3500,
        'Schema registry',
      );
      return res.ok ? session.up() : session.down({ message: `HTTP ${res.status}` });
    } catch (err) {
      return session.down({ message: fetchFailure(err) });
    }
  }
}
