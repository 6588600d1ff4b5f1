import { Module } from '@nestjs/common';
import { ApiKeyRepository } from '@vigil/store';
import { QueryWorkLimiter } from '../limits/query-work-limiter.service';
import { LiveSessions } from '../live/live-sessions.service';
import { Authenticator } from './authenticator.service';
import { JwtVerifier } from './jwt-verifier.service';
import { RateLimiter } from './rate-limiter.service';
import { ViewerTokenService } from './viewer-token.service';

/**
 * Who may ask and how much: authentication, the per-key rate and concurrency limits, and the live tail's
 * sessions. A module of its own so the GraphQL module's factory (graphql-ws hooks) and the app's guard share
 * the same instances.
 */
@Module({
  providers: [ApiKeyRepository, Authenticator, JwtVerifier, ViewerTokenService, RateLimiter, QueryWorkLimiter, LiveSessions],
  exports: [ApiKeyRepository, Authenticator, JwtVerifier, ViewerTokenService, RateLimiter, QueryWorkLimiter, LiveSessions],
})
export class QueryAccessModule {}
