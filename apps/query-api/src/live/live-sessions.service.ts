import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Context } from 'graphql-ws';
import { PinoLogger } from 'nestjs-pino';
import { Clock } from '@vigil/common';
import { APP_CONFIG } from '@vigil/config';
import { READ_ROLES, type GuardedRequest } from '../auth/auth.guard';
import { Authenticator, type Headers } from '../auth/authenticator.service';
import { PRINCIPAL, type Principal } from '../auth/principal.types';
import type { QueryApiConfig } from '../query-api.config';
import { KeyedSemaphore } from '../limits/keyed-semaphore.util';
import { QueryErrorCode, QueryException } from '../query.exception';

/** graphql-ws close codes the live tail ends a connection with (the protocol's own 4401 and 4403). */
export const LiveCloseCode = {
  /** No credential, an unknown or revoked key, an invalid or expired token: at connection_init or at a re-check. */
  UNAUTHORIZED: 4401,
  /** A valid credential whose role may not read events. */
  FORBIDDEN: 4403,
  /**
   * A key already holding QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY connections. graphql-ws's own "too many" code
   * (TooManyInitialisationRequests) on purpose: its client does not retry it; the reason names the setting.
   */
  TOO_MANY_CONNECTIONS: 4429,
} as const;

/** The graphql-ws connection context: connection_init's payload and, in `extra`, the adapter's socket. */
export type LiveContext = Context<Record<string, unknown> | undefined, unknown>;

interface Closable {
  close(code: number, reason: string): void;
}

/**
 * The connection's socket: graphql-ws's `ws` adapter (graphql-ws/use/ws, what Nest runs) puts it in
 * `extra.socket`; Nest types `extra` as unknown, so it is checked here rather than cast.
 */
function socketOf(ctx: LiveContext): Closable {
  const socket: unknown = typeof ctx.extra === 'object' && ctx.extra !== null ? (ctx.extra as { socket?: unknown }).socket : undefined;
  if (typeof socket !== 'object' || socket === null || typeof (socket as Partial<Closable>).close !== 'function') {
    throw new Error('graphql-ws connection without a closable socket in extra (expected the ws adapter)');
  }
  return socket as Closable;
}

interface Session {
  headers: Headers;
  principal: Principal;
  /** Gives back its place among its key's connections (QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY); once. */
  release: () => void;
  close: (code: number, reason: string) => void;
}

/** connection_init's payload stands in for the request headers (lowercased names, string values only). */
export function headersOf(connectionParams: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(connectionParams ?? {})) if (typeof value === 'string') headers[key.toLowerCase()] = value;
  return headers;
}

/** A WebSocket close reason holds at most 123 bytes. */
function closeReason(message: string): string {
  const bytes = Buffer.from(message);
  return bytes.length <= 123
    ? message
    : `${bytes
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}

/**
 * The live tail's sessions. A connection authenticates once, at `connection_init` (no subscription can start
 * before), and is checked again every QUERY_API_LIVE_RECHECK_SECONDS: a revoked key or an expired token ends the
 * connection with 4401 and the reason. Each key holds at most QUERY_API_LIVE_MAX_PER_KEY subscriptions over all
 * its connections.
 */
@Injectable()
export class LiveSessions implements OnModuleDestroy {
  private readonly sessions = new Map<LiveContext, Session>();
  /** Connections still authenticating, and those of them that closed meanwhile (graphql-ws calls onClose either way). */
  private readonly connecting = new WeakSet<LiveContext>();
  private readonly closedWhileConnecting = new WeakSet<LiveContext>();
  private readonly connectionsPerKey: KeyedSemaphore;
  private readonly subscriptionsPerKey: KeyedSemaphore;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: QueryApiConfig,
    private readonly authenticator: Authenticator,
    private readonly clock: Clock,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext(LiveSessions.name);
    this.subscriptionsPerKey = new KeyedSemaphore({ slots: config.QUERY_API_LIVE_MAX_PER_KEY, maxWaiting: 0, waitMs: 0 });
    // Counted under the principal's subject at connection_init (a re-check may renew the principal).
    this.connectionsPerKey = new KeyedSemaphore({ slots: config.QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY, maxWaiting: 0, waitMs: 0 });
  }

  /** Open connections (acknowledged, not yet closed). */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * graphql-ws `onConnect`: authenticates the connection_init payload. A refusal closes the socket with its code
   * and reason (false tells graphql-ws not to acknowledge; its own 4403 comes after ours and is ignored).
   */
  async connect(ctx: LiveContext): Promise<boolean> {
    const headers = headersOf(ctx.connectionParams);
    const socket = socketOf(ctx);
    const close = (code: number, reason: string): void => socket.close(code, closeReason(reason));
    this.connecting.add(ctx);
    try {
      const principal = await this.authorise(headers);
      // A client that left while its key was looked up is not counted: nothing would ever take it off again.
      if (this.closedWhileConnecting.has(ctx)) return false;
      const release = this.connectionsPerKey.tryAcquire(principal.subject);
      if (release === undefined) {
        close(
          LiveCloseCode.TOO_MANY_CONNECTIONS,
          `this key already holds ${this.config.QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY} live connections (QUERY_API_LIVE_MAX_CONNECTIONS_PER_KEY); close one first`,
        );
        return false;
      }
      this.sessions.set(ctx, { headers, principal, release, close });
      this.startChecking();
      return true;
    } catch (err) {
      if (!(err instanceof QueryException)) throw err;
      close(err.code === QueryErrorCode.FORBIDDEN ? LiveCloseCode.FORBIDDEN : LiveCloseCode.UNAUTHORIZED, err.message);
      return false;
    } finally {
      this.connecting.delete(ctx);
      this.closedWhileConnecting.delete(ctx);
    }
  }

  /** graphql-ws `onClose`. */
  disconnect(ctx: LiveContext): void {
    if (this.connecting.has(ctx)) this.closedWhileConnecting.add(ctx);
    const session = this.sessions.get(ctx);
    if (session) this.forget(ctx, session);
    if (this.sessions.size === 0) this.stopChecking();
  }

  /** The request a subscription's resolvers and guard see: its connection's headers and principal. */
  requestOf(ctx: LiveContext): GuardedRequest {
    const session = this.sessions.get(ctx);
    return session ? { headers: session.headers, [PRINCIPAL]: session.principal } : { headers: headersOf(ctx.connectionParams) };
  }

  /** Counts one subscription against its key; the returned function gives it back (once). */
  holdSubscription(principal: Principal): () => void {
    const release = this.subscriptionsPerKey.tryAcquire(principal.subject);
    if (release === undefined) {
      throw new QueryException(
        QueryErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `this key already holds ${this.config.QUERY_API_LIVE_MAX_PER_KEY} live subscriptions (QUERY_API_LIVE_MAX_PER_KEY); end one first`,
      );
    }
    return release;
  }

  /** Checks every open connection's credential again; ends those no longer valid. Runs on the timer. */
  recheck(): Promise<void> {
    this.checking ??= this.recheckAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  onModuleDestroy(): void {
    this.stopChecking();
  }

  private async recheckAll(): Promise<void> {
    for (const [ctx, session] of [...this.sessions]) {
      try {
        const expiresAt = session.principal.expiresAt;
        if (expiresAt !== undefined && expiresAt.getTime() <= this.clock.now().getTime()) {
          throw new QueryException(QueryErrorCode.UNAUTHENTICATED, 'the token expired');
        }
        session.principal = await this.authorise(session.headers);
      } catch (err) {
        if (!(err instanceof QueryException)) {
          // The store is unreachable, say: not the caller's fault. Keep the connection; the next check decides.
          this.logger.warn({ subject: session.principal.subject, reason: (err as Error).message }, 'live session re-check failed');
          continue;
        }
        this.forget(ctx, session);
        this.logger.info({ subject: session.principal.subject, reason: err.message }, 'live session ended');
        session.close(err.code === QueryErrorCode.FORBIDDEN ? LiveCloseCode.FORBIDDEN : LiveCloseCode.UNAUTHORIZED, err.message);
      }
    }
    if (this.sessions.size === 0) this.stopChecking();
  }

  private forget(ctx: LiveContext, session: Session): void {
    if (this.sessions.delete(ctx)) session.release();
  }

  private async authorise(headers: Headers): Promise<Principal> {
    const principal = await this.authenticator.authenticate(headers);
    if (!READ_ROLES.includes(principal.role)) {
      throw new QueryException(QueryErrorCode.FORBIDDEN, `the ${principal.role} role cannot read events`);
    }
    return principal;
  }

  private startChecking(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.recheck(), this.config.QUERY_API_LIVE_RECHECK_SECONDS * 1000);
    this.timer.unref();
  }

  private stopChecking(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
