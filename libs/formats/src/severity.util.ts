import type { Severity } from '@vigil/events';

export interface SeverityLevel {
  /** OpenTelemetry SeverityNumber (1-24). */
  number: number;
  /** OpenTelemetry short name for that number. */
  text: string;
}

// OTel ranges: INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24. Routine audit events stay in INFO
// (Thrive sends 10/INFO2), a suspicious one (MEDIUM, e.g. a failed login) is a warning, HIGH an error
// and CRITICAL fatal, so SIEM rules keyed on OTel severity see the same ordering Vigil uses.
const LEVELS: Record<Severity, SeverityLevel> = {
  INFO: { number: 9, text: 'INFO' },
  LOW: { number: 10, text: 'INFO2' },
  MEDIUM: { number: 13, text: 'WARN' },
  HIGH: { number: 17, text: 'ERROR' },
  CRITICAL: { number: 21, text: 'FATAL' },
};

/** The OpenTelemetry severity of a Vigil severity; ECS `event.severity` uses the same number. */
export function severityLevel(severity: Severity): SeverityLevel {
  return LEVELS[severity];
}
