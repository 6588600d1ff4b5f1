import type { HealthIndicatorResult } from '@nestjs/terminus';

/** A dependency the app needs before it can serve (Kafka, the registry, PostgreSQL ...). */
export interface ReadinessIndicator {
  readonly key: string;
  check(): Promise<HealthIndicatorResult>;
}

export const READINESS_INDICATORS = Symbol('READINESS_INDICATORS');

/** Bounds a probe so a hung dependency reports "down" instead of hanging the health endpoint. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
