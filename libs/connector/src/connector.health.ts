import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadinessIndicator } from '@vigil/observability';
import { ConnectorStatusService } from './connector-status.service';

/** One readiness entry per connector (`connector:<name>`): down while failing (credentials), with the reason. */
@Injectable()
export class ConnectorHealthIndicator implements ReadinessIndicator {
  readonly key = 'connectors';

  constructor(private readonly status: ConnectorStatusService) {}

  check(): Promise<HealthIndicatorResult> {
    const result: HealthIndicatorResult = {};
    for (const s of this.status.list()) {
      result[`connector:${s.name}`] = {
        status: s.state === 'failing' ? 'down' : 'up',
        state: s.state,
        ...(s.reason !== undefined && { reason: s.reason }),
        lag: s.lag,
        lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null,
        ...(s.lastError !== undefined && { lastError: s.lastError.message }),
      };
    }
    return Promise.resolve(result);
  }
}
