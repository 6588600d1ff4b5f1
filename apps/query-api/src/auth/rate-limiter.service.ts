import { Inject, Injectable } from '@nestjs/common';
import { Clock, TokenBuckets } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import type { QueryApiConfig } from '../query-api.config';

/** The API's per-key request rate (QUERY_API_RATE_PER_SECOND, QUERY_API_RATE_BURST). */
@Injectable()
export class RateLimiter extends TokenBuckets {
  constructor(@Inject(APP_CONFIG) config: QueryApiConfig, clock: Clock) {
    super(config.QUERY_API_RATE_PER_SECOND, config.QUERY_API_RATE_BURST, () => clock.now().getTime());
  }
}
